// RUN: quant-opt %s -qf-modcap-group="top-k=1 report=true" 2>&1 | FileCheck %s --check-prefix=K1
// RUN: quant-opt %s -qf-modcap-group="top-k=2 report=true" 2>&1 | FileCheck %s --check-prefix=K2
// RUN: quant-opt %s -qf-modcap-group="top-k=2 default-bits=2 report=true" 2>&1 | FileCheck %s --check-prefix=B2
// RUN: quant-opt %s -qf-modcap-group="top-k=10" | FileCheck %s --check-prefix=ALL
// Explicit qf.module attributes: non-adjacent weights of one module ("a" and
// "e" in blk.a) are counted together, a hand-set qf.format sets that
// module's bits (int8:g8:f16 = 10 bits/weight), default-bits the others.
// Capacities at 4 bits: blk.a = 96*4 = 384, blk.b = 64, blk.c = 320,
// blk.d = 32; differentials 320, 256, 288.

// top-k=1: only the largest differential (blk.a -> blk.b) merges.
// K1: qf-modcap-group: data-free ModCap, top-k = 1, 4 modules, 3 units
// K1: blk.a {{ *}}2 {{ *}}96 {{ *}}384.0 {{ *}}320.0* {{ *}}0
// K1-NEXT: blk.b {{ *}}1 {{ *}}16 {{ *}}64.0 {{ *}}256.0 {{ *}}0
// K1-NEXT: blk.c {{ *}}1 {{ *}}32 {{ *}}320.0 {{ *}}288.0 {{ *}}1
// K1-NEXT: blk.d {{ *}}1 {{ *}}8 {{ *}}32.0 {{ *}}- {{ *}}2
// K1: arith.constant {qf.group = "blk.a+blk.b", qf.module = "blk.a", qf.name = "a"}
// K1: arith.constant {qf.group = "blk.a+blk.b", qf.module = "blk.b", qf.name = "b"}
// K1: arith.constant {qf.format = #qf.format<"int8:g8:f16">, qf.module = "blk.c", qf.name = "c"}
// K1: arith.constant {qf.module = "blk.d", qf.name = "d"}
// K1: arith.constant {qf.group = "blk.a+blk.b", qf.module = "blk.a", qf.name = "e"}

// top-k=2: blk.c -> blk.d (288) merges as well.
// K2: top-k = 2, 4 modules, 2 units
// K2: blk.c {{ *}}1 {{ *}}32 {{ *}}320.0 {{ *}}288.0* {{ *}}1
// K2: qf.group = "blk.a+blk.b", qf.module = "blk.a", qf.name = "a"
// K2: qf.group = "blk.a+blk.b", qf.module = "blk.b", qf.name = "b"
// K2: qf.group = "blk.c+blk.d", qf.module = "blk.c", qf.name = "c"
// K2: qf.group = "blk.c+blk.d", qf.module = "blk.d", qf.name = "d"
// K2: qf.group = "blk.a+blk.b", qf.module = "blk.a", qf.name = "e"

// default-bits=2 halves every capacity but blk.c's (hand-set format):
// differentials 160, 288, 304; blk.b..blk.d become one unit, blk.a stays
// alone.
// B2: top-k = 2, 4 modules, 2 units
// B2: blk.a {{ *}}2 {{ *}}96 {{ *}}192.0 {{ *}}160.0 {{ *}}0
// B2-NEXT: blk.b {{ *}}1 {{ *}}16 {{ *}}32.0 {{ *}}288.0* {{ *}}1
// B2-NEXT: blk.c {{ *}}1 {{ *}}32 {{ *}}320.0 {{ *}}304.0* {{ *}}1
// B2-NEXT: blk.d {{ *}}1 {{ *}}8 {{ *}}16.0 {{ *}}- {{ *}}1
// B2: arith.constant {qf.module = "blk.a", qf.name = "a"}
// B2: qf.group = "blk.b+blk.d", qf.module = "blk.b", qf.name = "b"
// B2: qf.group = "blk.b+blk.d", qf.module = "blk.c", qf.name = "c"
// B2: qf.group = "blk.b+blk.d", qf.module = "blk.d", qf.name = "d"
// B2: arith.constant {qf.module = "blk.a", qf.name = "e"}

// top-k larger than the number of differentials: one unit.
// ALL-COUNT-5: qf.group = "blk.a+blk.d"
func.func @explicit() -> (tensor<4x16xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<1x8xf32>, tensor<2x16xf32>) {
  %a = arith.constant {qf.module = "blk.a", qf.name = "a"} dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0]]> : tensor<4x16xf32>
  %b = arith.constant {qf.module = "blk.b", qf.name = "b"} dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0], [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0]]> : tensor<2x8xf32>
  %c = arith.constant {qf.format = #qf.format<"int8:g8:f16">, qf.module = "blk.c", qf.name = "c"} dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0], [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0]]> : tensor<4x8xf32>
  %d = arith.constant {qf.module = "blk.d", qf.name = "d"} dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0]]> : tensor<1x8xf32>
  %e = arith.constant {qf.module = "blk.a", qf.name = "e"} dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0]]> : tensor<2x16xf32>
  return %a, %b, %c, %d, %e : tensor<4x16xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<1x8xf32>, tensor<2x16xf32>
}
