func.func @t(%a: !qf.tensor<64x64xf32, #qf.format<"q4_k">>, %b: !qf.tensor<32xf16, #qf.format<"nf4:g32:bf16">>) attributes {f = #qf.format<"kashin:2+2">} {
  return
}
