"""What machine a benchmark ran on: CPU model, vector extensions, cores and load."""

import os
import platform

VECTOR_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile", "fma")


def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def machine_info():
    """A JSON-ready dict: ``cpu``, ``vector_extensions``, ``cores``, ``loadavg`` (1/5/15 min), ``platform``."""
    text = _cpuinfo()
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")),
                 platform.processor())
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return {
        "cpu": model,
        "vector_extensions": [f for f in VECTOR_FLAGS if f in flags],
        "cores": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
    }


def describe(info):
    """One line for tables: ``Intel Xeon ..., AVX-512 + bf16, 2 cores``."""
    ext = info["vector_extensions"]
    isa = "AVX-512" if "avx512f" in ext else "AVX2" if "avx2" in ext else "no AVX2"
    if "avx512_bf16" in ext:
        isa += " + bf16"
    if info.get("onednn_max_cpu_isa"):
        isa += f" (oneDNN limited to {info['onednn_max_cpu_isa']})"
    return f"{info['cpu']}, {isa}, {info['cores']} cores"
