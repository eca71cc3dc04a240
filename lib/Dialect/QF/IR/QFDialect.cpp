//===- QFDialect.cpp - The qf dialect: attributes, types, ops -------------===//
//
// Part of the QForge project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qforge/Dialect/QF/IR/QF.h"

#include "qforge/Dialect/QF/IR/ExternalWeights.h"
#include "qforge/Numerics/Quantizer.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qforge;
using namespace qforge::qf;

#include "qforge/Dialect/QF/IR/QFDialect.cpp.inc"

void QFDialect::initialize() {
  externalWeights = std::make_unique<ExternalWeightResolver>();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qforge/Dialect/QF/IR/QFAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "qforge/Dialect/QF/IR/QFTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "qforge/Dialect/QF/IR/QFOps.cpp.inc"
      >();
}

Operation *QFDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = llvm::dyn_cast<DenseElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, elements);
}

//===----------------------------------------------------------------------===//
// FormatAttr
//===----------------------------------------------------------------------===//

FormatAttr FormatAttr::parseSpec(function_ref<InFlightDiagnostic()> emitError,
                                 MLIRContext *context, StringRef spec) {
  num::FormatSpec format;
  num::Status s = num::FormatSpec::parse(
      std::string_view(spec.data(), spec.size()), format);
  if (!s) {
    emitError() << "invalid format spec '" << spec << "': " << s.message();
    return {};
  }
  return FormatAttr::get(context, format);
}

Attribute FormatAttr::parse(AsmParser &parser, Type) {
  std::string spec;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseString(&spec) || parser.parseGreater())
    return {};
  return parseSpec([&] { return parser.emitError(loc); },
                   parser.getContext(), spec);
}

void FormatAttr::print(AsmPrinter &printer) const {
  printer << "<\"" << getSpec() << "\">";
}

LogicalResult FormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef spec) {
  num::FormatSpec format;
  num::Status s = num::FormatSpec::parse(
      std::string_view(spec.data(), spec.size()), format);
  if (!s)
    return emitError() << "invalid format spec '" << spec
                       << "': " << s.message();
  if (format.str() != spec)
    return emitError() << "format spec '" << spec
                       << "' is not in canonical form '" << format.str()
                       << "'";
  return success();
}

num::FormatSpec FormatAttr::getFormat() const {
  num::FormatSpec format;
  StringRef spec = getSpec();
  // The verifier guarantees the spec parses.
  (void)num::FormatSpec::parse(std::string_view(spec.data(), spec.size()),
                               format);
  return format;
}

double FormatAttr::getBitsPerWeight() const {
  return getFormat().bitsPerWeight();
}

double FormatAttr::getBitsPerWeight(ArrayRef<int64_t> shape) const {
  return getFormat().bitsPerWeight(toVector(shape));
}

uint64_t FormatAttr::getStorageBytes(ArrayRef<int64_t> shape) const {
  return num::storageBytes(getFormat(), toVector(shape));
}

//===----------------------------------------------------------------------===//
// ExternalAttr
//===----------------------------------------------------------------------===//

LogicalResult ExternalAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   StringRef path, StringRef key, Type type) {
  if (path.empty())
    return emitError() << "#qf.external needs a file path";
  auto tensor = llvm::dyn_cast_or_null<RankedTensorType>(type);
  if (!llvm::isa_and_nonnull<QuantizedTensorType>(type) &&
      !(tensor && tensor.hasStaticShape() &&
        llvm::isa<FloatType>(tensor.getElementType())))
    return emitError() << "#qf.external needs the type of the value it "
                          "stands for, a statically shaped float tensor or "
                          "a !qf.tensor (#qf.external<\"file\", \"key\"> : "
                          "tensor<...>), got "
                       << type;
  io::WeightFileKind kind;
  if (num::Status s = io::weightFileKind(path.str(), kind); !s)
    return emitError() << "#qf.external: " << s.message();
  if (kind == io::WeightFileKind::Npy && !key.empty())
    return emitError() << "#qf.external: a .npy file holds one array; "
                          "its key must be omitted, got '"
                       << key << "'";
  if (kind != io::WeightFileKind::Npy && key.empty())
    return emitError() << "#qf.external: '" << path
                       << "' holds named tensors; a key is needed";
  return success();
}

/// The storage of qf.constant after its attribute dictionary: either an
/// external reference, whose type is the result type
/// (`#qf.external<"w.gguf", "fc"> : !qf.tensor<...>`), or `: type` for
/// inline sections.
static ParseResult parseConstantStorage(OpAsmParser &parser,
                                        ExternalAttr &external,
                                        Type &resultType) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute attr;
  OptionalParseResult r = parser.parseOptionalAttribute(attr);
  if (r.has_value()) {
    if (failed(*r))
      return failure();
    external = llvm::dyn_cast<ExternalAttr>(attr);
    if (!external)
      return parser.emitError(loc, "expected a #qf.external attribute or "
                                   "':' and a quantized tensor type, got ")
             << attr;
    resultType = external.getType();
    return success();
  }
  return failure(parser.parseColon() || parser.parseType(resultType));
}

static void printConstantStorage(OpAsmPrinter &printer, Operation *,
                                 ExternalAttr external, Type resultType) {
  // The verifier guarantees external.getType() == resultType.
  if (external) {
    printer.printAttribute(external);
    return;
  }
  printer << ": ";
  printer.printType(resultType);
}

//===----------------------------------------------------------------------===//
// QuantizedTensorType
//===----------------------------------------------------------------------===//

Type QuantizedTensorType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(elementType) || parser.parseComma())
    return {};
  FormatAttr format;
  std::string spec;
  SMLoc fmtLoc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalString(&spec))) {
    format = FormatAttr::parseSpec([&] { return parser.emitError(fmtLoc); },
                                   parser.getContext(), spec);
    if (!format)
      return {};
  } else {
    Attribute attr;
    if (parser.parseAttribute(attr))
      return {};
    format = llvm::dyn_cast<FormatAttr>(attr);
    if (!format) {
      parser.emitError(fmtLoc, "expected a #qf.format attribute or a format "
                               "spec string");
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), shape, elementType, format);
}

void QuantizedTensorType::print(AsmPrinter &printer) const {
  printer << "<";
  for (int64_t d : getShape())
    printer << d << "x";
  printer << getElementType() << ", ";
  printer.printAttribute(getFormat());
  printer << ">";
}

LogicalResult
QuantizedTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                            ArrayRef<int64_t> shape, Type elementType,
                            FormatAttr format) {
  if (!llvm::isa<FloatType>(elementType))
    return emitError() << "quantized tensor element type must be a float "
                          "type, got "
                       << elementType;
  for (int64_t d : shape)
    if (d < 0)
      return emitError() << "quantized tensors need a static shape";
  if (!format)
    return emitError() << "missing format";
  num::Status s = format.getFormat().verifyShape(toVector(shape));
  if (!s)
    return emitError() << "format '" << format.getSpec()
                       << "' cannot encode shape [" << shape
                       << "]: " << s.message();
  return success();
}

bool QuantizedTensorType::hasRank() const { return true; }

ShapedType
QuantizedTensorType::cloneWith(std::optional<ArrayRef<int64_t>> shape,
                               Type elementType) const {
  return QuantizedTensorType::get(getContext(), shape ? *shape : getShape(),
                                  elementType, getFormat());
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

/// Checks that a float tensor type and a quantized tensor type describe the
/// same logical tensor.
static LogicalResult verifySameShape(Operation *op, ShapedType floatType,
                                     QuantizedTensorType qType,
                                     bool sameElement) {
  if (!floatType.hasRank() || floatType.getShape() != qType.getShape())
    return op->emitOpError("shape of ")
           << floatType << " does not match the quantized tensor shape ["
           << qType.getShape() << "]";
  if (sameElement && floatType.getElementType() != qType.getElementType())
    return op->emitOpError("element type ")
           << floatType.getElementType()
           << " does not match the quantized tensor element type "
           << qType.getElementType();
  return success();
}

LogicalResult QuantizeOp::verify() {
  auto qType = llvm::cast<QuantizedTensorType>(getResult().getType());
  if (failed(verifySameShape(*this, getInput().getType(), qType, true)))
    return failure();
  num::FormatSpec f = qType.getFormat().getFormat();
  auto shape = toVector(qType.getShape());
  if (auto scales = getScalesAttr()) {
    if (f.kind == num::ElementKind::Learned ||
        f.kind == num::ElementKind::Kashin || f.layout != num::Layout::Plain)
      return emitOpError("static scales are not supported for format '")
             << qType.getFormat().getSpec() << "'";
    int64_t groups = f.numGroups(shape);
    if (scales.getNumElements() != groups)
      return emitOpError("expected ")
             << groups << " static scales (one per scale group), got "
             << scales.getNumElements();
    for (APFloat v : scales.getValues<APFloat>())
      if (!v.isFiniteNonZero() || v.isNegative())
        return emitOpError("static scales must be finite and positive");
  }
  if (auto zps = getZeroPointsAttr()) {
    if (!f.zeroPoint)
      return emitOpError("zero points given but format '")
             << qType.getFormat().getSpec() << "' has none";
    if (!getScalesAttr())
      return emitOpError("static zero points need static scales");
    if (zps.getNumElements() != f.numGroups(shape))
      return emitOpError("expected ")
             << f.numGroups(shape) << " zero points, got "
             << zps.getNumElements();
    int64_t lo = f.intKind == num::IntKind::Unsigned
                     ? 0
                     : -(int64_t(1) << (f.bits - 1));
    int64_t hi = f.intKind == num::IntKind::Unsigned
                     ? (int64_t(1) << f.bits) - 1
                     : (int64_t(1) << (f.bits - 1)) - 1;
    for (APInt v : zps.getValues<APInt>())
      if (v.getSExtValue() < lo || v.getSExtValue() > hi)
        return emitOpError("zero point ")
               << v.getSExtValue() << " is outside the code range [" << lo
               << ", " << hi << "]";
  } else if (getScalesAttr() && f.zeroPoint) {
    return emitOpError("format '")
           << qType.getFormat().getSpec()
           << "' has zero points: static scales need static zero_points";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

/// Largest qf.constant that qf.dequantize folds into float elements.
static constexpr int64_t kMaxFoldElements = 1024;

OpFoldResult DequantizeOp::fold(FoldAdaptor) {
  auto cst = getInput().getDefiningOp<ConstantOp>();
  if (!cst)
    return {};
  auto qType = llvm::cast<QuantizedTensorType>(cst.getResult().getType());
  if (qType.getNumElements() > kMaxFoldElements)
    return {};
  num::QuantizedTensor q;
  std::string error;
  if (failed(cst.readData(q, error))) {
    // An elided blob is silently not folded. An external reference that
    // cannot be read is reported once (the folder runs many times); the
    // passes that need the data fail on it with an error.
    if (ExternalAttr ref = cst.getExternalAttr())
      if (ExternalWeightResolver::get(getContext()).firstFailure(ref))
        cst.emitWarning("qf.dequantize not folded: cannot read ")
            << ref << ": " << error;
    return {};
  }
  std::vector<float> values(qType.getNumElements());
  if (!num::dequantize(q, values.data(), /*threads=*/1))
    return {};
  auto resultType = llvm::cast<RankedTensorType>(getResult().getType());
  auto floatType = llvm::cast<FloatType>(resultType.getElementType());
  SmallVector<APFloat> converted;
  converted.reserve(values.size());
  for (float v : values) {
    APFloat f(v);
    bool lost;
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &lost);
    converted.push_back(f);
  }
  return DenseElementsAttr::get(resultType, converted);
}

LogicalResult DequantizeOp::verify() {
  return verifySameShape(*this, getResult().getType(),
                         llvm::cast<QuantizedTensorType>(getInput().getType()),
                         /*sameElement=*/false);
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

StringRef ConstantOp::getSectionAttrName(num::Section section) {
  return num::sectionName(section);
}

ElementsAttr ConstantOp::getSection(num::Section section) {
  return (*this)->getAttrOfType<ElementsAttr>(getSectionAttrName(section));
}

bool ConstantOp::readSection(num::Section section,
                             std::vector<uint8_t> &bytes) {
  bytes.clear();
  if (getExternalAttr())
    return false;
  ElementsAttr attr = getSection(section);
  if (!attr)
    return true;
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return false;
    ArrayRef<char> data = blob->getData();
    bytes.assign(data.begin(), data.end());
    return true;
  }
  if (auto dense = llvm::dyn_cast<DenseIntElementsAttr>(attr)) {
    bytes.reserve(dense.getNumElements());
    for (APInt v : dense.getValues<APInt>())
      bytes.push_back(static_cast<uint8_t>(v.getZExtValue()));
    return true;
  }
  return false;
}

LogicalResult ConstantOp::readData(num::QuantizedTensor &out,
                                   std::string &error) {
  auto qType = llvm::cast<QuantizedTensorType>(getResult().getType());
  if (ExternalAttr ref = getExternalAttr()) {
    io::ExternalQuantized ext;
    if (failed(ExternalWeightResolver::get(getContext())
                   .lookupQuantized(ref, *this, qType, ext, error)))
      return failure();
    ext.copyTo(out);
    return success();
  }
  out = num::QuantizedTensor();
  out.format = qType.getFormat().getFormat();
  out.shape = toVector(qType.getShape());
  for (unsigned i = 0; i < num::kNumSections; ++i) {
    auto section = static_cast<num::Section>(i);
    if (!readSection(section, out.sections[i])) {
      error = "the data of section '" + getSectionAttrName(section).str() +
              "' is not available (elided blob)";
      return failure();
    }
  }
  return success();
}

LogicalResult ConstantOp::getSectionAttrs(SmallVectorImpl<ElementsAttr> &out,
                                          std::string &error) {
  out.assign(num::kNumSections, ElementsAttr());
  ExternalAttr ref = getExternalAttr();
  if (!ref) {
    for (unsigned i = 0; i < num::kNumSections; ++i)
      out[i] = getSection(static_cast<num::Section>(i));
    return success();
  }
  auto qType = llvm::cast<QuantizedTensorType>(getResult().getType());
  io::ExternalQuantized ext;
  if (failed(ExternalWeightResolver::get(getContext())
                 .lookupQuantized(ref, *this, qType, ext, error)))
    return failure();
  std::string name = ref.getKey().str();
  if (auto n = (*this)->getAttrOfType<StringAttr>("qf.name"))
    name = n.str();
  auto i8 = IntegerType::get(getContext(), 8);
  for (unsigned i = 0; i < num::kNumSections; ++i) {
    if (!ext.data[i])
      continue;
    auto section = static_cast<num::Section>(i);
    auto type =
        RankedTensorType::get({static_cast<int64_t>(ext.nbytes[i])}, i8);
    out[i] = makeExternalResourceAttr(
        type, name + "." + getSectionAttrName(section).str(), ext.data[i],
        ext.nbytes[i], ext.owner, /*alignment=*/1);
  }
  return success();
}

LogicalResult ConstantOp::verify() {
  auto qType = llvm::cast<QuantizedTensorType>(getResult().getType());
  if (ExternalAttr ref = getExternalAttr()) {
    // The file is not opened here: its contents are checked when a pass
    // needs them.
    if (ref.getType() != qType)
      return emitOpError("external reference of type ")
             << ref.getType() << " does not match the result type " << qType;
    for (unsigned i = 0; i < num::kNumSections; ++i)
      if (getSection(static_cast<num::Section>(i)))
        return emitOpError("has external storage and an inline '")
               << getSectionAttrName(static_cast<num::Section>(i))
               << "' section: use one or the other";
    io::WeightFileKind kind;
    if (num::Status s = io::weightFileKind(ref.getPath().str(), kind);
        !s || (kind != io::WeightFileKind::SafeTensors &&
               kind != io::WeightFileKind::GGUF))
      return emitOpError("external quantized storage must be a .safetensors "
                         "or .gguf file written by QForge, got '")
             << ref.getPath() << "'";
    return success();
  }
  num::FormatSpec f = qType.getFormat().getFormat();
  auto expected = num::sectionBytes(f, toVector(qType.getShape()));
  for (unsigned i = 0; i < num::kNumSections; ++i) {
    auto section = static_cast<num::Section>(i);
    StringRef name = getSectionAttrName(section);
    ElementsAttr attr = getSection(section);
    uint64_t want = expected[i];
    if (!attr) {
      if (want != 0)
        return emitOpError("format '")
               << qType.getFormat().getSpec() << "' needs a '" << name
               << "' section of " << want << " bytes";
      continue;
    }
    if (want == 0)
      return emitOpError("unexpected '")
             << name << "' section: format '" << qType.getFormat().getSpec()
             << "' has none for this shape";
    auto type = llvm::dyn_cast<ShapedType>(attr.getType());
    if (!type || type.getRank() != 1 ||
        !type.getElementType().isInteger(8))
      return emitOpError("section '")
             << name << "' must be a 1-D tensor of 8-bit integers, got "
             << attr.getType();
    if (static_cast<uint64_t>(type.getNumElements()) != want)
      return emitOpError("section '")
             << name << "' has " << type.getNumElements()
             << " bytes but format '" << qType.getFormat().getSpec()
             << "' needs " << want << " for shape [" << qType.getShape()
             << "]";
    if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
      if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
        if (blob->getData().size() != want)
          return emitOpError("blob of section '")
                 << name << "' holds " << blob->getData().size()
                 << " bytes but its type and the format need " << want;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ExternalConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ExternalConstantOp::resolve(io::ExternalTensor &out,
                                          std::string &error) {
  return ExternalWeightResolver::get(getContext())
      .lookupTensor(getValue(), *this, getType(), out, error);
}

ElementsAttr ExternalConstantOp::materialize(std::string &error) {
  io::ExternalTensor t;
  if (failed(resolve(t, error)))
    return {};
  std::string name = getValue().getKey().str();
  if (auto n = (*this)->getAttrOfType<StringAttr>("qf.name"))
    name = n.str();
  size_t align = io::dtypeSize(t.dtype);
  return makeExternalResourceAttr(getType(), name, t.data, t.nbytes, t.owner,
                                  align);
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

int64_t MatmulOp::getK() {
  auto w = llvm::cast<QuantizedTensorType>(getWeight().getType());
  return getTransposeWeight() ? w.getShape()[1] : w.getShape()[0];
}

int64_t MatmulOp::getN() {
  auto w = llvm::cast<QuantizedTensorType>(getWeight().getType());
  return getTransposeWeight() ? w.getShape()[0] : w.getShape()[1];
}

LogicalResult MatmulOp::verify() {
  auto w = llvm::cast<QuantizedTensorType>(getWeight().getType());
  if (w.getRank() != 2)
    return emitOpError("weight must be 2-D, got rank ") << w.getRank();
  auto lhs = llvm::cast<RankedTensorType>(getLhs().getType());
  auto res = llvm::cast<RankedTensorType>(getResult().getType());
  if (lhs.getRank() < 1)
    return emitOpError("lhs must have rank >= 1");
  int64_t k = getK(), n = getN();
  int64_t lhsK = lhs.getShape().back();
  if (!ShapedType::isDynamic(lhsK) && lhsK != k)
    return emitOpError("contraction size mismatch: lhs has K = ")
           << lhsK << " but the weight"
           << (getTransposeWeight() ? " (transposed)" : "") << " has K = "
           << k;
  if (res.getRank() != lhs.getRank())
    return emitOpError("result rank ")
           << res.getRank() << " must equal lhs rank " << lhs.getRank();
  for (int64_t i = 0; i + 1 < lhs.getRank(); ++i) {
    int64_t a = lhs.getShape()[i], b = res.getShape()[i];
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return emitOpError("result dimension ")
             << i << " is " << b << " but lhs has " << a;
  }
  int64_t resN = res.getShape().back();
  if (!ShapedType::isDynamic(resN) && resN != n)
    return emitOpError("result has N = ")
           << resN << " but the weight has N = " << n;
  return success();
}

#define GET_ATTRDEF_CLASSES
#include "qforge/Dialect/QF/IR/QFAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "qforge/Dialect/QF/IR/QFTypes.cpp.inc"

#define GET_OP_CLASSES
#include "qforge/Dialect/QF/IR/QFOps.cpp.inc"
