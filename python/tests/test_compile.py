# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""qforge.compile: our passes in process, diagnostics as exceptions."""

import pytest

import qforge

QUANT = """\
!q = !quant.uniform<i8:f32, 0.5:3>
func.func @per_tensor(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %q = quant.qcast %x : tensor<4x8xf32> to tensor<4x8x!q>
  %y = quant.dcast %q : tensor<4x8x!q> to tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
"""


def test_compile_runs_qf_passes():
    out = qforge.compile(QUANT, "qf-from-quant")
    assert 'qf.quantize %arg0' in out
    assert '#qf.format<"uint8:zp">' in out
    assert "quant.qcast" not in out
    # Anchored pipeline spelling and upstream passes.
    out2 = qforge.compile(QUANT, "builtin.module(qf-from-quant,canonicalize)")
    assert '#qf.format<"uint8:zp">' in out2
    # The round trip back to quant.
    back = qforge.compile(out, "qf-to-quant")
    assert "quant.qcast" in back
    # No pipeline: parse and print.
    assert "quant.qcast" in qforge.compile(QUANT)


def test_compile_from_path(tmp_path):
    p = tmp_path / "m.mlir"
    p.write_text(QUANT)
    assert "qf.quantize" in qforge.compile(str(p), "qf-from-quant")
    assert "qf.quantize" in qforge.compile(p, "qf-from-quant")
    with pytest.raises(FileNotFoundError):
        qforge.compile(str(tmp_path / "missing.mlir"))


def test_compile_errors_become_exceptions():
    with pytest.raises(qforge.CompileError, match="<string>:1:1: error"):
        qforge.compile("this is not mlir")
    with pytest.raises(qforge.CompileError, match="no-such-pass"):
        qforge.compile(QUANT, "no-such-pass")
    with pytest.raises(qforge.CompileError, match="unbalanced"):
        qforge.compile(QUANT, "builtin.module(qf-from-quant")
    bad_format = ('func.func @f(%x: !qf.tensor<4xf32, '
                  '#qf.format<"int99">>) {\n  return\n}\n')
    with pytest.raises(qforge.CompileError, match="int99"):
        qforge.compile(bad_format)
    assert issubclass(qforge.CompileError, qforge.QForgeError)
    with pytest.raises(TypeError):
        qforge.compile(42)
