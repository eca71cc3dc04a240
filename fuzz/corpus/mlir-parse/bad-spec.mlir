func.func @bad() attributes {f = #qf.format<"int99">} {
  return
}
