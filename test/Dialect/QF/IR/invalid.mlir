// RUN: quant-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{invalid format spec 'int9': integer bit width 9 is out of range [2, 8]}}
func.func private @bits_high() -> !qf.tensor<4x8xf32, #qf.format<"int9">>

// -----

// expected-error @+1 {{integer bit width 1 is out of range [2, 8]}}
func.func private @bits_low() -> !qf.tensor<4x8xf32, #qf.format<"int1">>

// -----

// expected-error @+1 {{unknown element code 'int4x'}}
func.func private @unknown_element() -> !qf.tensor<4x8xf32, #qf.format<"int4x">>

// -----

// expected-error @+1 {{unknown element code 'fp7'}}
func.func private @unknown_spec_name() -> !qf.tensor<4x8xf32, #qf.format<"fp7">>

// -----

// expected-error @+1 {{unknown format field 'g'}}
func.func private @unknown_field() -> !qf.tensor<4x8xf32, #qf.format<"int4:g">>

// -----

// expected-error @+1 {{block size 32 does not divide dimension 1 of size 48}}
func.func private @block_not_dividing() -> !qf.tensor<4x48xf32, #qf.format<"int4:g32">>

// -----

// expected-error @+1 {{block size 3 does not divide dimension 0 of size 4}}
func.func private @block_axis0_not_dividing() -> !qf.tensor<4x48xf32, #qf.format<"int4:g3@0">>

// -----

// expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
func.func private @axis_out_of_range() -> !qf.tensor<4x48xf32, #qf.format<"int8:ch@2">>

// -----

// expected-error @+1 {{codebook has 3 values but lut2 needs 4}}
func.func private @codebook_wrong_size() -> !qf.tensor<4x8xf32, #qf.format<"lut2[0,1,2]">>

// -----

// expected-error @+1 {{codebook values must be strictly increasing (value 2 is not greater than value 1)}}
func.func private @codebook_not_increasing() -> !qf.tensor<4x8xf32, #qf.format<"lut2[-1,0.5,0.5,1]">>

// -----

// expected-error @+1 {{scale type 'e8m0' is only allowed for integer and minifloat codes}}
func.func private @scale_not_allowed() -> !qf.tensor<4x64xf32, #qf.format<"nf4:g64:e8m0">>

// -----

// expected-error @+1 {{learned codebooks are stored as f32, f16 or bf16, not 'e4m3'}}
func.func private @learned_scale_type() -> !qf.tensor<4x64xf32, #qf.format<"asq:16:e4m3">>

// -----

// expected-error @+1 {{unsigned integer codes need a zero point ('zp')}}
func.func private @unsigned_without_zp() -> !qf.tensor<4x64xf32, #qf.format<"uint4:g32">>

// -----

// expected-error @+1 {{a zero point ('zp') requires unsigned integer codes ('uint<b>')}}
func.func private @symmetric_with_zp() -> !qf.tensor<4x64xf32, #qf.format<"sint4:g32:zp">>

// -----

// expected-error @+1 {{scale statistic 'rms' requires an RMS-scaled CRD table}}
func.func private @rms_on_int() -> !qf.tensor<4x64xf32, #qf.format<"int4:g32:rms">>

// -----

// expected-error @+1 {{double quantization ('dq=') needs block scales ('g<N>')}}
func.func private @dq_without_blocks() -> !qf.tensor<4x64xf32, #qf.format<"nf4:ch:e4m3:dq=16">>

// -----

// expected-error @+1 {{outlier fraction must be in (0, 0.5]}}
func.func private @outlier_fraction() -> !qf.tensor<4x64xf32, #qf.format<"int4:g32:outliers=0.75">>

// -----

// expected-error @+1 {{layout 'q4_0' requires exactly the format 'q4_0'}}
func.func private @layout_mismatch() -> !qf.tensor<4x64xf32, #qf.format<"int4:g64:f16:layout=q4_0">>

// -----

// expected-error @+1 {{layout 'q4_k' needs the last dimension to be a multiple of 256}}
func.func private @gguf_shape() -> !qf.tensor<4x128xf32, #qf.format<"q4_k">>

// -----

// expected-error @+1 {{Kashin factor bit widths must be in [1, 4], got 5+2}}
func.func private @kashin_bits() -> !qf.tensor<4x64xf32, #qf.format<"kashin:5+2">>

// -----

// expected-error @+1 {{Hadamard Kashin vectors need a power-of-two length, got 48}}
func.func private @kashin_hadamard() -> !qf.tensor<4x48xf32, #qf.format<"kashin:2+2:hadamard">>

// -----

// expected-error @+1 {{duplicate granularity 'g64'}}
func.func private @duplicate_field() -> !qf.tensor<4x64xf32, #qf.format<"int4:g32:g64">>

// -----

// expected-error @+1 {{empty format spec}}
func.func private @empty_spec() -> !qf.tensor<4x64xf32, #qf.format<"">>

// -----

// expected-error @+1 {{quantized tensor element type must be a float type, got 'i32'}}
func.func private @int_element() -> !qf.tensor<4x64xi32, #qf.format<"int4">>

// -----

// expected-error @+1 {{expected a #qf.format attribute or a format spec string}}
func.func private @not_a_format() -> !qf.tensor<4x64xf32, 42 : i32>

// -----

func.func @quantize_shape(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{'qf.quantize' op shape of 'tensor<4x32xf32>' does not match the quantized tensor shape [4, 64]}}
  %0 = qf.quantize %x : tensor<4x32xf32> -> !qf.tensor<4x64xf32, #qf.format<"int4:g32">>
  return
}

// -----

func.func @quantize_element(%x: tensor<4x64xf16>) {
  // expected-error @+1 {{'qf.quantize' op element type 'f16' does not match the quantized tensor element type 'f32'}}
  %0 = qf.quantize %x : tensor<4x64xf16> -> !qf.tensor<4x64xf32, #qf.format<"int4:g32">>
  return
}

// -----

func.func @static_scale_count(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'qf.quantize' op expected 8 static scales (one per scale group), got 2}}
  %0 = qf.quantize %x {scales = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"int4:g32">>
  return
}

// -----

func.func @static_scale_negative(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'qf.quantize' op static scales must be finite and positive}}
  %0 = qf.quantize %x {scales = dense<-1.0> : tensor<1xf32>} : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"int4">>
  return
}

// -----

func.func @zero_point_range(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'qf.quantize' op zero point 300 is outside the code range [0, 255]}}
  %0 = qf.quantize %x {scales = dense<1.0> : tensor<1xf32>, zero_points = dense<300> : tensor<1xi32>} : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"uint8:zp">>
  return
}

// -----

func.func @zero_point_unexpected(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'qf.quantize' op zero points given but format 'int4' has none}}
  %0 = qf.quantize %x {scales = dense<1.0> : tensor<1xf32>, zero_points = dense<0> : tensor<1xi32>} : tensor<4x64xf32> -> !qf.tensor<4x64xf32, #qf.format<"int4">>
  return
}

// -----

func.func @dequantize_shape(%q: !qf.tensor<4x64xf32, #qf.format<"int4:g32">>) {
  // expected-error @+1 {{'qf.dequantize' op shape of 'tensor<64x4xf32>' does not match the quantized tensor shape [4, 64]}}
  %0 = qf.dequantize %q : !qf.tensor<4x64xf32, #qf.format<"int4:g32">> -> tensor<64x4xf32>
  return
}

// -----

func.func @constant_missing_section() {
  // expected-error @+1 {{'qf.constant' op format 'int4:g32:f16' needs a 'scales' section of 16 bytes}}
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>} : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  return
}

// -----

func.func @constant_wrong_size() {
  // expected-error @+1 {{'qf.constant' op section 'codes' has 100 bytes but format 'int4:g32:f16' needs 128 for shape [4, 64]}}
  %0 = qf.constant {codes = dense<0> : tensor<100xi8>, scales = dense<0> : tensor<16xi8>} : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  return
}

// -----

func.func @constant_extra_section() {
  // expected-error @+1 {{'qf.constant' op unexpected 'zero_points' section: format 'int4:g32:f16' has none for this shape}}
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>, scales = dense<0> : tensor<16xi8>, zero_points = dense<0> : tensor<8xi8>} : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  return
}

// -----

func.func @constant_wrong_type() {
  // expected-error @+1 {{'qf.constant' op section 'codes' must be a 1-D tensor of 8-bit integers, got 'tensor<32xi32>'}}
  %0 = qf.constant {codes = dense<0> : tensor<32xi32>, scales = dense<0> : tensor<16xi8>} : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  return
}

// -----

func.func @constant_blob_size() {
  // expected-error @+1 {{'qf.constant' op blob of section 'scales' holds 4 bytes but its type and the format need 16}}
  %0 = qf.constant {codes = dense<0> : tensor<128xi8>, scales = dense_resource<short_blob> : tensor<16xi8>} : !qf.tensor<4x64xf32, #qf.format<"int4:g32:f16">>
  return
}

{-#
  dialect_resources: {
    builtin: {
      short_blob: "0x0100000001020304"
    }
  }
#-}

// -----

func.func @matmul_k(%a: tensor<1x32xf32>, %w: !qf.tensor<64x128xf32, #qf.format<"int4:g32">>) {
  // expected-error @+1 {{'qf.matmul' op contraction size mismatch: lhs has K = 32 but the weight (transposed) has K = 128}}
  %0 = qf.matmul %a, %w {transpose_weight} : tensor<1x32xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g32">> -> tensor<1x64xf32>
  return
}

// -----

func.func @matmul_n(%a: tensor<1x64xf32>, %w: !qf.tensor<64x128xf32, #qf.format<"int4:g32">>) {
  // expected-error @+1 {{'qf.matmul' op result has N = 64 but the weight has N = 128}}
  %0 = qf.matmul %a, %w : tensor<1x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g32">> -> tensor<1x64xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x64xf32>, %w: !qf.tensor<64x128xf32, #qf.format<"int4:g32">>) {
  // expected-error @+1 {{'qf.matmul' op result rank 3 must equal lhs rank 2}}
  %0 = qf.matmul %a, %w : tensor<2x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g32">> -> tensor<1x2x128xf32>
  return
}

// -----

func.func @matmul_weight_rank(%a: tensor<2x64xf32>, %w: !qf.tensor<4x64x128xf32, #qf.format<"int4:g32">>) {
  // expected-error @+1 {{'qf.matmul' op weight must be 2-D, got rank 3}}
  %0 = qf.matmul %a, %w : tensor<2x64xf32>, !qf.tensor<4x64x128xf32, #qf.format<"int4:g32">> -> tensor<2x128xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x64xf32>, %w: !qf.tensor<64x128xf32, #qf.format<"int4:g32">>) {
  // expected-error @+1 {{'qf.matmul' op result dimension 0 is 4 but lhs has 2}}
  %0 = qf.matmul %a, %w : tensor<2x3x64xf32>, !qf.tensor<64x128xf32, #qf.format<"int4:g32">> -> tensor<4x3x128xf32>
  return
}
