func.func @bad(%a: !qf.tensor<3x5xf32, #qf.format<"int4:g32">>) {
  return
}
