// A format spec with an unknown field.

func.func private @f() -> !qf.tensor<4x64xf32, #qf.format<"int4:g32:zz">>
