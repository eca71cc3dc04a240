// RUN: quant-opt %s -split-input-file -qf-lower-to-vector -verify-diagnostics
// RUN: not quant-opt %s -split-input-file -qf-lower-to-vector=target=avx51 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not quant-opt %s -split-input-file -qf-lower-to-vector=nontemporal-bytes=-1 2>&1 | FileCheck %s --check-prefix=NTBYTES
// TARGET: error: qf-lower-to-vector: unknown target 'avx51' (expected avx2, avx512, neon, generic or host)
// RUN: not quant-opt %s -split-input-file -qf-lower-to-vector=dot-precision=bf16 2>&1 | FileCheck %s --check-prefix=DOT
// RUN: not quant-opt %s -split-input-file -qf-lower-to-vector="target=avx2 dot-precision=bf16x2" 2>&1 | FileCheck %s --check-prefix=DOTAVX2
// NTBYTES: error: qf-lower-to-vector: nontemporal-bytes must be >= 0, got -1
// RUN: not quant-opt %s -split-input-file -qf-lower-to-vector="target=neon dot-precision=i8" 2>&1 | FileCheck %s --check-prefix=DOTI8
// DOT: error: qf-lower-to-vector: unknown dot-precision 'bf16' (expected f32, bf16x2 or i8)
// DOTI8: error: qf-lower-to-vector: dot-precision=i8 needs the avx512 target (x86 with AVX512_VNNI), got 'neon'
// DOTAVX2: error: qf-lower-to-vector: dot-precision=bf16x2 needs the avx512 target (x86 with AVX512_BF16), got 'avx2'

// expected-error @+1 {{returning a quantized tensor is not lowered}}
func.func @returns_q(%q: !qf.tensor<2x64xf32, #qf.format<"int4:g32">>) -> !qf.tensor<2x64xf32, #qf.format<"int4:g32">> {
  return %q : !qf.tensor<2x64xf32, #qf.format<"int4:g32">>
}

// -----

func.func @quantize(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{is not lowered by qf-lower-to-vector}}
  %q = qf.quantize %x : tensor<2x64xf32> -> !qf.tensor<2x64xf32, #qf.format<"int4:g32">>
  %d = qf.dequantize %q : !qf.tensor<2x64xf32, #qf.format<"int4:g32">> -> tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----

func.func private @use(!qf.tensor<2x64xf32, #qf.format<"int4:g32">>)

// expected-error @+1 {{quantized argument #0 has uses that qf-lower-to-vector cannot lower}}
func.func @other_use(%q: !qf.tensor<2x64xf32, #qf.format<"int4:g32">>) {
  func.call @use(%q) : (!qf.tensor<2x64xf32, #qf.format<"int4:g32">>) -> ()
  return
}
