"""What the hardware allows: the peak matmul rate, model FLOPs utilisation (MFU) and the speed-up ceiling.

A speed ratio against the textbook loop means little without knowing how much room the machine leaves.
The step's model FLOPs (`core.estimates.flops_per_step`: every matmul, attention products included) at the
machine's peak matmul rate is a floor no implementation can beat, so

    ceiling ratio = reference step time / (model FLOPs per step / peak)

is the most any path could gain over the textbook loop here, even if every non-matmul kernel were free.

Peak: on a GPU with a known datasheet figure, its dense bf16 tensor-core rate (MFU is quoted against that);
otherwise, the best of a few large square matmuls in the training precision, measured now. On a CPU the
measured figure is the honest one: datasheets give clocks, not what oneDNN/MKL reach on this core count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

# Dense (no sparsity) bf16 tensor-core FLOP/s from NVIDIA's datasheets; the first key found in the device name wins.
GPU_PEAK_BF16 = {
    "H200 NVL": 835.5e12,  # the PCIe card: lower clocks and power than the SXM H200
    "H200": 989.4e12,
    "H100 PCIe": 756.0e12,
    "H100": 989.4e12,
    "A100": 312.0e12,
    "L40S": 362.05e12,
    "L4": 121.0e12,
    "A10": 125.0e12,
    "RTX 4090": 165.2e12,
}


@dataclass(frozen=True)
class Peak:
    flops_per_s: float
    source: str  # "measured 2048^3 float32 matmul" or "H200 datasheet bf16"


_BEST_MEASURED: dict[tuple[str, torch.dtype], float] = {}  # the fastest rate this process has seen so far


def peak_matmul(device: torch.device, dtype: torch.dtype) -> Peak:
    """The rate MFU is measured against: a datasheet for known GPUs, else a measured large matmul.

    A measured peak is the fastest seen by any call in this process: the machine's speed drifts by 10-30 %
    within minutes here, and one measurement in a slow phase once put a row's MFU above 1."""
    if device.type == "cuda" and dtype == torch.bfloat16:
        name = torch.cuda.get_device_name(device)
        for key, flops in GPU_PEAK_BF16.items():
            if key in name:
                return Peak(flops, f"{key} datasheet bf16")
    n = 8192 if device.type == "cuda" else 2048
    key = (device.type, dtype)
    _BEST_MEASURED[key] = max(_BEST_MEASURED.get(key, 0.0), measured_matmul_flops(device, dtype, n))
    return Peak(_BEST_MEASURED[key], f"measured {n}^3 {str(dtype).removeprefix('torch.')} matmul")


def measured_matmul_flops(device: torch.device, dtype: torch.dtype, n: int, repeats: int = 8) -> float:
    """FLOP/s of the fastest of `repeats` n x n x n matmuls (after one warm-up), at the current thread count."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = float("inf")
    for i in range(repeats + 1):
        _sync(device)
        started = time.perf_counter()
        a @ b
        _sync(device)
        if i:  # the first call creates the kernel's primitives
            best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best


def _sync(device: torch.device) -> None:
    """Wait for the device: GPU kernels return before they finish."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def utilisation(flops_per_step: float, step_s: float, reference_step_s: float, peak: Peak) -> dict[str, object]:
    """The bench row's hardware fields: achieved model FLOP/s, MFU, and the most a ratio could be here."""
    floor_s = flops_per_step / peak.flops_per_s
    return {
        "model_flops_per_step": flops_per_step,
        "achieved_flops_per_s": flops_per_step / step_s,
        "peak_flops_per_s": peak.flops_per_s,
        "peak_source": peak.source,
        "mfu": flops_per_step / step_s / peak.flops_per_s,
        "matmul_floor_ms": floor_s * 1000,
        "ceiling_speed_ratio": reference_step_s / floor_s,
    }
