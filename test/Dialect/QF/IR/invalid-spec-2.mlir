// RUN: quant-opt %s -split-input-file -verify-diagnostics
// Spec and type errors not covered by invalid.mlir.

// expected-error @+1 {{invalid format spec 'int4:g32:outliers=-0.1': outlier fraction must be in (0, 0.5]}}
func.func private @outliers_negative() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=-0.1">>

// -----

// expected-error @+1 {{invalid format spec 'int4:g32:outliers=2^-63': invalid outlier fraction '2^-63'}}
func.func private @outliers_tiny_power() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=2^-63">>

// -----

// expected-error @+1 {{invalid outlier value type 'e4m3' (expected bf16, f16, f32)}}
func.func private @outliers_type() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:outliers=0.01/e4m3">>

// -----

// expected-error @+1 {{invalid double-quantization group '0' (expected N or 'tensor')}}
func.func private @dq_zero() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:e4m3:dq=0">>

// -----

// expected-error @+1 {{invalid double-quantization group 'abc' (expected N or 'tensor')}}
func.func private @dq_word() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:e4m3:dq=abc">>

// -----

// expected-error @+1 {{invalid double-quantization group '-4' (expected N or 'tensor')}}
func.func private @dq_negative() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:e4m3:dq=-4">>

// -----

// expected-error @+1 {{learned codebooks take no zero point, double quantization or scale statistic}}
func.func private @dq_learned() -> !qf.tensor<64x128xf32, #qf.format<"asq:16:dq=tensor">>

// -----

// expected-error @+1 {{Student-t degrees of freedom must be in (0, 1000]}}
func.func private @crd_t0() -> !qf.tensor<64x128xf32, #qf.format<"crd-t0:4:g32">>

// -----

// expected-error @+1 {{Student-t degrees of freedom must be in (0, 1000]}}
func.func private @crd_t2000() -> !qf.tensor<64x128xf32, #qf.format<"crd-t2000:4:g32">>

// -----

// expected-error @+1 {{ASQ needs 2 to 256 levels, got 300}}
func.func private @asq_300() -> !qf.tensor<64x128xf32, #qf.format<"asq:300">>

// -----

// expected-error @+1 {{ASQ needs 2 to 256 levels, got 1}}
func.func private @asq_1() -> !qf.tensor<64x128xf32, #qf.format<"asq:1">>

// -----

// expected-error @+1 {{format 'kashin:2+2:ch@5' cannot encode shape [64, 128]: axis 5 is out of range for a tensor of rank 2}}
func.func private @kashin_axis() -> !qf.tensor<64x128xf32, #qf.format<"kashin:2+2:ch@5">>

// -----

// expected-error @+1 {{joint Kashin codes need 1 to 8 bits}}
func.func private @kashin_joint_0() -> !qf.tensor<64x128xf32, #qf.format<"kashin:0:joint">>

// -----

// expected-error @+1 {{joint Kashin codes need 1 to 8 bits}}
func.func private @kashin_joint_9() -> !qf.tensor<64x128xf32, #qf.format<"kashin:9:joint">>

// -----

// expected-error @+1 {{Kashin codes take no scale type, zero point, double quantization or scale statistic}}
func.func private @kashin_scale() -> !qf.tensor<64x128xf32, #qf.format<"kashin:2+2:g64:f16">>

// -----

// expected-error @+1 {{lookup-table bit width 9 is out of range [1, 8]}}
func.func private @lut9() -> !qf.tensor<64x128xf32, #qf.format<"lut9[0,1]">>

// -----

// expected-error @+1 {{lookup-table bit width 9 is out of range [1, 8]}}
func.func private @lut_named_9() -> !qf.tensor<64x128xf32, #qf.format<"lut:9:nf4">>

// -----

// expected-error @+1 {{unknown table name 'g32'}}
func.func private @lut_unknown_table() -> !qf.tensor<64x128xf32, #qf.format<"lut:3:g32">>

// -----

// expected-error @+1 {{unknown layout 'q5_1'}}
func.func private @unknown_layout() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:layout=q5_1">>

// -----

// expected-error @+1 {{lookup-table codes need a scale type}}
func.func private @lut_noscale() -> !qf.tensor<64x128xf32, #qf.format<"nf4:g32:noscale">>

// -----

// expected-error @+1 {{integer codes need a scale type}}
func.func private @int_noscale() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:noscale">>

// -----

// expected-error @+1 {{scale statistic 'signmax' requires signed codes}}
func.func private @signmax_uint() -> !qf.tensor<64x128xf32, #qf.format<"uint4:g32:zp:signmax">>

// -----

// expected-error @+1 {{power-of-two 'e8m0' scales cannot be combined with a zero point}}
func.func private @e8m0_zp() -> !qf.tensor<64x128xf32, #qf.format<"uint4:g32:e8m0:zp">>

// -----

// expected-error @+1 {{a zero point ('zp') requires integer codes}}
func.func private @zp_lut() -> !qf.tensor<64x128xf32, #qf.format<"nf4:g32:zp">>

// -----

// expected-error @+1 {{a zero point ('zp') requires integer codes}}
func.func private @zp_minifloat() -> !qf.tensor<64x128xf32, #qf.format<"e4m3:g32:zp">>

// -----

// expected-error @+1 {{block size 16777217 is out of range [1, 2^24]}}
func.func private @block_too_big() -> !qf.tensor<64x128xf32, #qf.format<"int4:g16777217">>

// -----

// expected-error @+1 {{invalid block size in 'g0'}}
func.func private @block_zero() -> !qf.tensor<64x128xf32, #qf.format<"int4:g0">>

// -----

// expected-error @+1 {{duplicate granularity 'g32'}}
func.func private @ch_then_g() -> !qf.tensor<64x128xf32, #qf.format<"int4:ch:g32">>

// -----

// expected-error @+1 {{duplicate scale type 'bf16'}}
func.func private @dup_scale_type() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:f16:bf16">>

// -----

// expected-error @+1 {{duplicate scale statistic 'search'}}
func.func private @dup_statistic() -> !qf.tensor<64x128xf32, #qf.format<"int4:g32:absmax:search">>

// -----

// expected-error @+1 {{unknown format field 'rms-table'}}
func.func private @rms_table_field() -> !qf.tensor<64x128xf32, #qf.format<"crd-normal:4:g64:rms-table">>

// -----

// expected-error @+1 {{layout 'q4_k' needs the last dimension to be a multiple of 256}}
func.func private @q4_k_rank1() -> !qf.tensor<128xf32, #qf.format<"q4_k">>

// -----

// expected-error @+1 {{expected static shape}}
func.func private @dynamic() -> !qf.tensor<?x4xf32, #qf.format<"int4">>

// -----

// expected-error @+1 {{quantized tensor element type must be a float type, got 'complex<f32>'}}
func.func private @complex() -> !qf.tensor<4x4xcomplex<f32>, #qf.format<"int4">>
