func.func @f() -> tensor<2x32xf32> {
  %w = qf.constant codes = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]> : tensor<32xi8>, scales = dense<[0, 0, 128, 63, 0, 0, 0, 64]> : tensor<8xi8> : !qf.tensor<2x32xf32, #qf.format<"int4:g32">>
  %d = qf.dequantize %w : !qf.tensor<2x32xf32, #qf.format<"int4:g32">> -> tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}
