"""predsense: predictive-sensing primitives for streaming perception (C++ core, arrays in, numpy out).

Arrays: numpy arrays, CPU torch tensors (zero-copy for float32 C-contiguous, via DLPack), lists
and anything with __array__; float32 C-order is read in place, other real dtypes are converted
once; a CUDA tensor or a non-numeric input raises TypeError. A frame is (tokens, dim) or (dim,);
a sequence is (frames, tokens, dim) or (frames, dim). Errors from the core raise subclasses of
``predsense.Error`` (a ValueError). docs/python.md lists every name with its shapes.
"""
import importlib as _importlib
import os as _os
import platform as _platform
import sys as _sys

# LZCNT ("abm") is left out: every AVX2 CPU has it, and some hypervisors hide its flag (this machine)
_V3 = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe"}
_V4 = _V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}


def _cpu_flags():
    """x86 feature flags of this CPU from /proc/cpuinfo (empty elsewhere: the SSE2 build is chosen)."""
    if _platform.machine().lower() not in ("x86_64", "amd64"):
        return set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _load_core():
    """The C++ core: a single build (_core: CMake's default, or pip with PREDSENSE_NATIVE=1), else the
    widest of the portable builds this CPU runs: _core_avx512 (x86-64-v4), _core_avx2 (x86-64-v3),
    _core_sse2 (x86-64). Chosen by reading the CPU's flags before importing any of them (two builds
    cannot share a process: they register the same C++ types). PREDSENSE_SIMD=sse2|avx2|avx512 forces one."""
    try:
        return _importlib.import_module(__name__ + "._core")
    except ModuleNotFoundError as e:
        if e.name != __name__ + "._core":
            raise
    flags = _cpu_flags()
    runs = {"avx512": _V4 <= flags, "avx2": _V3 <= flags, "sse2": True}
    forced = _os.environ.get("PREDSENSE_SIMD")
    if forced:
        if forced not in runs:
            raise ImportError(f"PREDSENSE_SIMD={forced!r}: expected sse2, avx2 or avx512")
        if not runs[forced]:
            raise ImportError(f"PREDSENSE_SIMD={forced}: this CPU lacks {sorted((_V4 if forced == 'avx512' else _V3) - flags)}")
        order = [forced]
    else:
        order = [v for v in ("avx512", "avx2", "sse2") if runs[v]]
    for v in order:
        try:
            mod = _importlib.import_module(f"{__name__}._core_{v}")
        except ModuleNotFoundError:
            continue
        _sys.modules[__name__ + "._core"] = mod  # the types are named predsense._core.* (pickles)
        return mod
    raise ImportError("predsense: no C++ core found (_core or _core_sse2/_core_avx2/_core_avx512)")


_core = _load_core()

from ._core import (  # noqa: E402, F401
    Boundary,
    BOCPDSegmenter,
    OfflineSegmenter,
    EMANormalizer,
    EmptyError,
    Error,
    FormatError,
    GaussianNLL,
    InvalidArgumentError,
    Memory,
    MemoryStore,
    Metric,
    NonFiniteError,
    Normalizer,
    Predictor,
    Segmenter,
    ShapeError,
    StepResult,
    Stream,
    ThresholdSegmenter,
    AdaptiveSegmenter,
    CopyLast,
    DedupAggregator,
    EMAPredictor,
    LFPPredictor,
    RLSPredictor,
    SumAggregator,
    read_npy,
    read_safetensors,
    write_npy,
    write_safetensors,
    PeakSegmenter,
    bocpd_segment,
    pelt,
    binseg,
    amoc,
    standardize,
    mean_relative_accuracy,
    tcpd_cover,
    tcpd_f1,
    ZScoreNormalizer,
    copy_last_surprise,
    l2_distance,
    mse,
    pooled_cosine_distance,
    simd_width,
    build_info,
    synthetic_stream,
    token_cosine_distance,
    MiniTransformer,
    TransformerPredictor,
    PatchEmbedder,
    CutSegmenter,
    TransitionDetector,
    area_downsample,
    registry,
    registry_kinds,
)

if hasattr(_core, "FrameSource"):  # built with FFmpeg's libraries (build_info()["ffmpeg"])
    from ._core import FrameSource  # noqa: E402,F401

from .thumbnails import detector_scale, transitions, video_thumbnails  # noqa: E402

__version__ = _core.__version__  # written once, in include/predsense/config.hpp

__all__ = [
    "registry",
    "registry_kinds",
    "Boundary",
    "BOCPDSegmenter",
    "OfflineSegmenter",
    "EMANormalizer",
    "EmptyError",
    "Error",
    "FormatError",
    "GaussianNLL",
    "InvalidArgumentError",
    "Memory",
    "MemoryStore",
    "Metric",
    "NonFiniteError",
    "Normalizer",
    "Predictor",
    "Segmenter",
    "ShapeError",
    "StepResult",
    "Stream",
    "ThresholdSegmenter",
    "AdaptiveSegmenter",
    "CopyLast",
    "DedupAggregator",
    "EMAPredictor",
    "LFPPredictor",
    "RLSPredictor",
    "SumAggregator",
    "read_npy",
    "read_safetensors",
    "write_npy",
    "write_safetensors",
    "PeakSegmenter",
    "bocpd_segment",
    "pelt",
    "binseg",
    "amoc",
    "standardize",
    "mean_relative_accuracy",
    "tcpd_cover",
    "tcpd_f1",
    "ZScoreNormalizer",
    "copy_last_surprise",
    "l2_distance",
    "mse",
    "pooled_cosine_distance",
    "simd_width",
    "build_info",
    "synthetic_stream",
    "token_cosine_distance",
    "MiniTransformer",
    "TransformerPredictor",
    "PatchEmbedder",
    "CutSegmenter",
    "TransitionDetector",
    "area_downsample",
    *(["FrameSource"] if hasattr(_core, "FrameSource") else []),
    "video_thumbnails",
    "transitions",
    "detector_scale",
]

# Pure-Python helpers (no compiled code): predsense.video.detect(path) -> the tool's scenes in one
# call, predsense.video.display(signal, boundaries, truth); predsense.report: the HTML report.
from . import report, video  # noqa: E402
