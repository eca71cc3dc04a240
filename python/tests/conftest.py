# Part of the QForge project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""pytest setup: the package comes from build/python_packages (ctest sets
PYTHONPATH; QFORGE_BUILD_DIR or ./build is the fallback)."""

import importlib.util
import os
import sys

if importlib.util.find_spec("qforge") is None:
    build = os.environ.get("QFORGE_BUILD_DIR",
                           os.path.join(os.path.dirname(__file__), "..", "..",
                                        "build"))
    sys.path.insert(0, os.path.join(build, "python_packages"))

import pytest  # noqa: E402


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(1234)


def package_env():
    """Environment for subprocesses running `python -m qforge`."""
    import qforge
    env = dict(os.environ)
    pkg = os.path.dirname(os.path.dirname(qforge.__file__))
    env["PYTHONPATH"] = pkg + os.pathsep + env.get("PYTHONPATH", "")
    return env
