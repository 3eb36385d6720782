"""predsense: predictive-sensing primitives for streaming perception (C++ core, numpy in/out).

float32 C-order arrays are used in place; other real dtypes are converted once; anything else
raises TypeError. Errors from the core raise subclasses of ``predsense.Error`` (a ValueError).
"""
from ._core import (  # noqa: F401
    Boundary,
    EMANormalizer,
    EmptyError,
    Error,
    FormatError,
    GaussianNLL,
    InvalidArgumentError,
    MemoryStore,
    NonFiniteError,
    ShapeError,
    StepResult,
    Stream,
    ThresholdSegmenter,
    AdaptiveSegmenter,
    CopyLast,
    DedupAggregator,
    EMAPredictor,
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
    synthetic_stream,
    token_cosine_distance,
)

__version__ = "0.1.0"
