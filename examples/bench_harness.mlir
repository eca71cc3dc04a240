// Timing harness appended to the demo model by scripts/demo.sh: calls @mlp
// 200 times on a fixed input and prints the seconds taken and a checksum
// (mlir-runner with the runner utils library provides @rtclock/@printF64).
func.func private @rtclock() -> f64
func.func private @printF64(f64)
func.func private @printNewline()
func.func @main() {
  %x = arith.constant dense<0.5> : tensor<1x256xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 200 : index
  %z = arith.constant 0.0 : f32
  %t0 = call @rtclock() : () -> f64
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %z) -> f32 {
    %y = func.call @mlp(%x) : (tensor<1x256xf32>) -> tensor<1x256xf32>
    %e = tensor.extract %y[%c0, %c0] : tensor<1x256xf32>
    %s = arith.addf %acc, %e : f32
    scf.yield %s : f32
  }
  %t1 = call @rtclock() : () -> f64
  %dt = arith.subf %t1, %t0 : f64
  call @printF64(%dt) : (f64) -> ()
  call @printNewline() : () -> ()
  %r64 = arith.extf %r : f32 to f64
  call @printF64(%r64) : (f64) -> ()
  call @printNewline() : () -> ()
  return
}
