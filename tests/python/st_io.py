"""Minimal safetensors read/write for the parity tests (numpy arrays / torch tensors).

Written here rather than imported: Debian ships no safetensors Python package. Layout: u64 LE header
length, JSON header {name: {dtype, shape, data_offsets}}, then the data buffer.
"""
import json
import struct

import numpy as np

_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def _bf16_bytes(t):
    import torch
    return t.detach().to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()


def save(path, tensors, metadata=None):
    """tensors: {name: numpy array or torch tensor}; torch bfloat16 tensors are stored as BF16."""
    header, chunks, off = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in sorted(tensors):
        t = tensors[name]
        if hasattr(t, "detach"):
            import torch
            if t.dtype == torch.bfloat16:
                dtype, data, shape = "BF16", _bf16_bytes(t), list(t.shape)
            else:
                a = t.detach().cpu().contiguous().numpy()
                dtype = {np.dtype(v): k for k, v in _NP.items()}[a.dtype]
                data, shape = a.tobytes(), list(a.shape)
        else:
            a = np.ascontiguousarray(t)
            dtype = {np.dtype(v): k for k, v in _NP.items()}[a.dtype]
            data, shape = a.tobytes(), list(a.shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        chunks.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


def load(path):
    """-> ({name: float32/typed numpy array}, metadata); BF16 is widened to float32."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        buf = raw[base + b:base + end]
        if e["dtype"] == "BF16":
            u = np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16
            a = u.view(np.float32)
        else:
            a = np.frombuffer(buf, dtype=_NP[e["dtype"]])
        out[name] = a.reshape(e["shape"]).copy()
    return out, meta
