# -*- Python -*-
# lit configuration of QForge's regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QForge"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".py"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt", "Install"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qforge_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%qforge_src", config.qforge_src_root))
config.substitutions.append(("%llvm_lib_dir", config.llvm_lib_dir))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.qforge_tools_dir, config.llvm_tools_dir]
tools = ["quant-opt", "qforge-bench", "mlir-runner", "llc", "mlir-translate"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

if config.qforge_has_ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.ptxas_executable))
else:
    lit_config.note("ptxas not found: PTX assembly tests are skipped")

# The GPU runner is built where the CUDA toolkit is found; tests that execute
# kernels need a device as well (qforge-gpu-run --probe exits 77 without one).
gpu_run = os.path.join(config.qforge_tools_dir, "qforge-gpu-run")
if os.path.exists(gpu_run):
    import subprocess
    config.available_features.add("qforge-gpu-run")
    config.substitutions.append(("%qforge-gpu-run", gpu_run))
    probe = subprocess.run([gpu_run, "--probe"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode == 0:
        config.available_features.add("cuda-device")
    else:
        lit_config.note("no CUDA device: GPU execution tests are skipped")
else:
    lit_config.note("qforge-gpu-run not built (no CUDA toolkit): GPU runner "
                    "tests are skipped")
