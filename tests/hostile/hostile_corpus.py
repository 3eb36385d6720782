#!/usr/bin/python3
"""Hostile-input corpus for the command-line tools: every case is a bad input (or a positive control)
with its expected exit code. For each case the runner checks

  * the exit code (2 for bad input or usage, 0 for the controls; never a signal, never 1),
  * that stderr names the problem (a substring per case) and carries no sanitizer report,
  * that every file the case started with is byte-identical afterwards (inputs never touched),
  * that no output and no temporary file ("*.tmp.*") was left behind by a failed run.

Cases are generated into a scratch directory (crafted checkpoints are made from a real one, with
the checksum recomputed, so the loader's field checks - not the checksum - must refuse them); the
audit's reproducers in ../shared/data/hostile are added when that folder exists.

  /usr/bin/python3 tests/hostile/hostile_corpus.py --build build [--data DIR] [-k SUBSTRING] [-v]
Exit 0 when every case passes; prints one line per failure and a summary.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SANITIZER_MARKS = ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:", "LeakSanitizer")


# ---- safetensors (U8/I64/F64/F32), enough to craft checkpoints ------------------------------------
_DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "U8": np.uint8}


def st_load(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + end], dtype=_DT[e["dtype"]]).reshape(e["shape"]).copy()
    return out, meta


def st_save(path, tensors, meta, shapes=None):
    header, chunks, off = {"__metadata__": meta}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dt = {np.dtype(v): k for k, v in _DT.items()}[a.dtype]
        data = a.tobytes()
        shape = (shapes or {}).get(name, list(a.shape))
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(data)]}
        chunks.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def fnv_words(h, b):
    """memory_checkpoint.hpp's checksum: FNV-1a over 8-byte LE words, then the tail bytes."""
    prime, mask = 0x100000001B3, (1 << 64) - 1
    n8 = len(b) // 8 * 8
    for (w,) in struct.iter_unpack("<Q", b[:n8]):
        h = ((h ^ w) * prime) & mask
    for c in b[n8:]:
        h = ((h ^ c) * prime) & mask
    return h


def checksum(tensors):
    h = 0xCBF29CE484222325
    for name in sorted(tensors):
        h = fnv_words(h, np.ascontiguousarray(tensors[name]).tobytes())
    return "%016x" % h


def craft(src, dst, edit_tensors=None, edit_meta=None, rehash=True, shapes=None):
    t, meta = st_load(src)
    m = json.loads(meta["predsense.memory"])
    if edit_tensors:
        edit_tensors(t)
    if rehash:
        m["checksum"] = checksum(t)
    if edit_meta:
        edit_meta(m)
    st_save(dst, t, {"predsense.memory": json.dumps(m) if not isinstance(m, str) else m}, shapes)


# ---- cases ---------------------------------------------------------------------------------------
class Case:
    """fifo: a file streamed to the tool through a named pipe, which replaces the argument "FIFO";
    signal: (signal, seconds) sent to the tool that long after it started, its stdin a pipe fed `stdin`
    and kept open (the run is mid-way, never at its end); env: extra environment variables;
    pidfile: a file where a child the tool started writes its pid - that process must be gone after."""

    def __init__(self, name, tool, args, code=2, expect=(), outputs=(), stdin=None, stdout=None, files=None,
                 fifo=None, signal=None, env=None, pidfile=None):
        self.name, self.tool, self.args, self.code = name, tool, list(args), code
        self.expect = (expect,) if isinstance(expect, str) else tuple(expect)
        self.outputs, self.stdin, self.stdout, self.files = list(outputs), stdin, stdout, files or {}
        self.fifo, self.signal, self.env, self.pidfile = fifo, signal, env or {}, pidfile


def replay_cases(d, data_dir):
    R = "predsense-memory-replay"
    cs = []
    good = {"surprise": [0.5, 0.1, 0.9, 0.2, 0.05, 0.7] * 20, "threshold": 0.35, "budget": 900, "window": 8,
            "dim": 2}

    def j(name, obj):
        p = d / name
        p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        return str(p)

    out = str(d / "replay_out.json")
    gj = j("good.json", good)
    cs.append(Case("replay: control", R, [gj, "-o", out], 0, outputs=()))
    bad_fields = [
        ("no surprise", {"threshold": 0.3}, "/surprise"),
        ("surprise not array", {"surprise": 3}, "/surprise"),
        ("surprise string element", {"surprise": [0.1, "x"]}, "/surprise/1"),
        ("surprise null element", {"surprise": [0.1, None]}, "/surprise/1"),
        ("surprise bool element", {"surprise": [True]}, "/surprise/0"),
        ("surprise nested", {"surprise": [[0.1]]}, "/surprise/0"),
        ("threshold string", dict(good, threshold="0.3"), "/threshold"),
        ("threshold null", dict(good, threshold=None), "/threshold"),
        ("budget zero", dict(good, budget=0), "/budget"),
        ("budget negative", dict(good, budget=-5), "/budget"),
        ("budget float", dict(good, budget=9.5), "/budget"),
        ("budget huge", dict(good, budget=2 ** 62), "/budget"),
        ("budget below prompt", dict(good, budget=4), "/budget"),
        ("window negative", dict(good, window=-1), "/window"),
        ("window huge", dict(good, window=2 ** 40), "/window"),
        ("window string", dict(good, window="8"), "/window"),
        ("dim zero", dict(good, dim=0), "/dim"),
        ("dim negative", dict(good, dim=-2), "/dim"),
        ("dim huge", dict(good, dim=2 ** 60 + 1), "/dim"),
        ("dim x tokens over limit", dict(good, dim=65536, grid=[64, 64]), "/dim"),
        ("ratio zero", dict(good, ratio=0), "/ratio"),
        ("ratio negative", dict(good, ratio=-2), "/ratio"),
        ("prompt_tokens zero", dict(good, prompt_tokens=0), "/prompt_tokens"),
        ("prompt_tokens x dim over limit", dict(good, prompt_tokens=2 ** 20, budget=2 ** 21, dim=65536),
         "/prompt_tokens"),
        ("grid zero", dict(good, grid=[0, 8]), "/grid/0"),
        ("grid one number", dict(good, grid=[8]), "/grid"),
        ("grid three numbers", dict(good, grid=[2, 2, 2]), "/grid"),
        ("grid string", dict(good, grid="8x8"), "/grid"),
        ("grid negative", dict(good, grid=[8, -8]), "/grid/1"),
        ("grid float", dict(good, grid=[8, 2.5]), "/grid/1"),
        ("grid wraps", dict(good, grid=[2 ** 63 + 8, 8]), "/grid/0"),
        ("grid product over limit", dict(good, grid=[4096, 4096]), "/grid"),
        ("policy unknown", dict(good, policy="lru"), "/policy"),
        ("policy number", dict(good, policy=3), "/policy"),
        ("flush string", dict(good, flush="yes"), "/flush"),
        ("similarity out of range", dict(good, similarity=2.0), "/similarity"),
        ("sinks negative", dict(good, sinks=-1), "/sinks"),
        ("seed negative", dict(good, seed=-1), "/seed"),
        ("seed float", dict(good, seed=1.5), "/seed"),
        ("unknown field (typo)", dict(good, thresold=0.3), "/thresold"),
        ("top level array", [0.1, 0.2], "top level"),
        ("top level number", 3, "top level"),
        ("top level null", None, "top level"),
    ]
    for name, obj, needle in bad_fields:
        cs.append(Case("replay: " + name, R, [j(name.replace(" ", "_") + ".json", obj), "-o", out], 2,
                       expect=needle, outputs=[out]))
    raw_bad = [
        ("not JSON", "this is not json {", "not valid JSON"),
        ("empty file", "", "not valid JSON"),
        ("truncated JSON", '{"surprise": [0.1, 0.2', "not valid JSON"),
        ("NaN literal", '{"surprise": [NaN]}', "not valid JSON"),
        ("Infinity literal", '{"surprise": [Infinity]}', "not valid JSON"),
        ("number overflow", '{"surprise": [1e400]}', "1e400"),
        ("trailing garbage", '{"surprise": [0.1]} x', "not valid JSON"),
        ("deep nesting 100000", "[" * 100000, "nested deeper"),
        ("deep nesting in unknown field", '{"surprise": [0.1], "x": ' + "[" * 70 + "]" * 70 + "}", "nested deeper"),
        ("binary junk", "\x00\x01\x02\xff", "not valid JSON"),
        ("duplicate key wrong type", '{"surprise": [0.1], "dim": 1, "dim": "2"}', "/dim"),
    ]
    for name, text, needle in raw_bad:
        p = d / (name.replace(" ", "_") + ".json")
        p.write_bytes(text.encode("latin-1"))
        cs.append(Case("replay: " + name, R, [str(p), "-o", out], 2, expect=needle, outputs=[out]))
    cs.append(Case("replay: stdin garbage", R, ["-", "-o", out], 2, expect="<stdin>", outputs=[out], stdin=b"{oops"))
    cs.append(Case("replay: stdin control", R, ["-"], 0, stdin=json.dumps(good).encode()))
    cs.append(Case("replay: missing input", R, [str(d / "nope.json"), "-o", out], 2, "nope.json", [out]))
    cs.append(Case("replay: input is a directory", R, [str(d), "-o", out], 2, "directory", [out]))
    cs.append(Case("replay: no input", R, [], 2, "input"))
    cs.append(Case("replay: unknown option", R, [gj, "--bogus"], 2, "--bogus"))
    for v in ["-1", "0", "abc", "1e3", "1.5", "99999999999"]:
        ck = str(d / "never.safetensors")
        cs.append(Case("replay: --checkpoint-every " + v, R, [gj, "--checkpoint", ck, "--checkpoint-every", v], 2,
                       "--checkpoint-every", [ck]))
    cs.append(Case("replay: --checkpoint-every without --checkpoint", R, [gj, "--checkpoint-every", "5"], 2,
                   "--checkpoint"))
    cs.append(Case("replay: -o is the input", R, [gj, "-o", gj], 2, "input"))
    link = d / "hardlink.json"
    os.link(gj, link)
    cs.append(Case("replay: -o is a hard link to the input", R, [gj, "-o", str(link)], 2, "input"))
    sym = d / "symlink.json"
    sym.symlink_to(gj)
    cs.append(Case("replay: -o is a symlink to the input", R, [gj, "-o", str(sym)], 2, "input"))
    cs.append(Case("replay: -o through ./ and .. names the input", R,
                   [gj, "-o", str(d / ".." / d.name / "." / "good.json")], 2, "input"))
    cs.append(Case("replay: --checkpoint is the input", R, [gj, "--checkpoint", gj], 2, "input"))
    ck_out = str(d / "ck_out.safetensors")
    cs.append(Case("replay: --checkpoint is -o", R, [gj, "-o", ck_out, "--checkpoint", ck_out], 2, "output",
                   [ck_out]))
    cs.append(Case("replay: -o in a missing directory", R, [gj, "-o", str(d / "missing" / "o.json")], 2,
                   "does not exist"))
    cs.append(Case("replay: -o is a directory", R, [gj, "-o", str(d)], 2, "directory"))
    cs.append(Case("replay: stdout is /dev/full", R, [gj], 2, "standard output", stdout="/dev/full"))
    fifo = d / "a_fifo"
    os.mkfifo(fifo)  # stands for any device: a rename over it would replace it
    cs.append(Case("replay: -o is a named pipe", R, [gj, "-o", str(fifo)], 2, "not a regular file"))
    return cs


def checkpoint_cases(d, bin_dir, data_dir):
    """Crafted checkpoints: a real one edited field by field, checksum recomputed."""
    R = "predsense-memory-replay"
    cfg = {"surprise": [float(x) for x in np.random.default_rng(1).uniform(0, 1, 320)], "threshold": 0.35,
           "budget": 900, "window": 8, "dim": 2, "policy": "fifo"}
    full = d / "ck_full.json"
    full.write_text(json.dumps(cfg))
    part = d / "ck_part.json"
    part.write_text(json.dumps(dict(cfg, surprise=cfg["surprise"][:200], flush=False)))
    base = d / "ck_base.safetensors"
    r = subprocess.run([str(bin_dir / R), str(part), "--checkpoint", str(base)], capture_output=True)
    if r.returncode != 0:
        raise SystemExit("cannot make the base checkpoint: " + r.stderr.decode())
    out = str(d / "ck_resume_out.json")
    cs = [Case("checkpoint: control (resume)", R, [str(full), "--resume", str(base), "-o", out], 0)]
    t0, _ = st_load(base)
    n_lt = len(t0["long_term.tokens"])
    big = np.int64(2 ** 62)

    def setv(name, idx, value):
        def f(t):
            t[name][idx] = value
        return f

    def meta(key, value):
        def f(m):
            m[key] = value
        return f

    def pol(value):
        def f(m):
            m["compression"]["params"]["threshold"] = value
        return f

    def wrap_grid(part):
        # rows x cols == 2^64 + tokens: equal to tokens once wrapped (tokens is a power of two here)
        def f(t):
            i = 1 if part == "long_term" else 0
            tok = int(t[part + ".tokens"][i])
            assert tok & (tok - 1) == 0, tok
            t[part + ".grid"][i] = [2 ** 64 // tok + 1, tok]
        return f

    def merged_out_of_order(t):
        # entry 1 takes entry 2's merged frame, in the wrong order; entry 2 keeps none
        t["long_term.merged_count"][1:3] = [2, 0]
        t["long_term.merged"][2] = t["long_term.merged"][1] - 1

    edits = [
        ("merged_count near 2^63", setv("long_term.merged_count", 1, np.int64(2 ** 63 - 1)), None, "merged"),
        ("merged_count wraps the sum",
         lambda t: t["long_term.merged_count"].__setitem__(slice(1, 4), [2 ** 63 - 1, 2 ** 63 - 1, 3]), None,
         "merged_count"),
        ("merged_count negative", setv("long_term.merged_count", 1, -1), None, "merged_count"),
        ("grid wraps to tokens", wrap_grid("long_term"), None, "grid"),
        ("grid rows x cols != tokens", setv("long_term.grid", (1, 0), 3), None, "grid"),
        ("grid zero", setv("long_term.grid", (1, 0), 0), None, "grid"),
        ("tokens negative", setv("long_term.tokens", 1, -4), None, "tokens"),
        ("tokens huge", setv("long_term.tokens", 1, big), None, "tokens"),
        ("window grid wraps", wrap_grid("window"), None, "grid"),
        ("flags unknown bits", setv("long_term.flags", 1, 7), None, "flags"),
        ("window frame protected", setv("window.flags", 0, 1), None, "window frame"),
        ("frame negative", setv("long_term.frame", 1, -5), None, "frame"),
        ("frame past frames_seen", setv("long_term.frame", 1, 10 ** 9), None, "frames_seen"),
        ("merged frame past frames_seen", setv("long_term.merged", 1, 10 ** 9), None, "frames_seen"),
        ("merged frame is not the entry's frame", setv("long_term.merged", 1, 5), None, "first merged frame"),
        ("merged frames out of order", merged_out_of_order, None, "order"),
        ("unprotected entry without merged frames",
         lambda t: t["long_term.merged_count"].__setitem__(slice(1, 3), [0, 2]), None, "first merged frame"),
        ("seq negative", setv("long_term.seq", 1, -1), None, "seq"),
        ("seq out of order", lambda t: t["long_term.seq"].__setitem__(slice(1, 3), [9, 3]), None, "order"),
        ("surprise NaN", setv("long_term.surprise", 1, np.nan), None, "finite"),
        ("timestamp inf", setv("long_term.timestamp", 1, np.inf), None, "finite"),
        ("prompt frame on unprotected", setv("long_term.frame", 1, -1), None, "frame"),
        ("window frames out of order", lambda t: t["window.frame"].__setitem__(slice(0, 2), [199, 198]), None,
         "order"),
        ("long_term_entries too many", None, meta("long_term_entries", n_lt + 1), "long_term"),
        ("long_term_entries huge", None, meta("long_term_entries", 2 ** 63), "entries"),
        ("window_entries over window", None, meta("window_entries", 9), "window"),
        ("frames_seen below window frames", None, meta("frames_seen", 3), "frames_seen"),
        ("next_seq below seq", None, meta("next_seq", 1), "next_seq"),
        ("dim mismatch", None, meta("dim", 3), "dim"),
        ("dim huge", None, meta("dim", 2 ** 62), "dim"),
        ("budget mismatch", None, meta("budget", 901), "budget"),
        ("window mismatch", None, meta("window", 9), "window"),
        ("version 1", None, meta("version", 1), "version"),
        ("version 99", None, meta("version", 99), "version"),
        ("format wrong", None, meta("format", "other"), "format"),
        ("frames_seen negative", None, meta("frames_seen", -1), "frames_seen"),
        ("frames_seen string", None, meta("frames_seen", "200"), "frames_seen"),
        ("checksum number", None, meta("checksum", 5), "checksum"),
        ("threshold changed", None, pol(0.3), "threshold"),
        ("threshold string", None, pol("0.35"), "threshold"),
        ("policy params not an object", None, lambda m: m["consolidation"].__setitem__("params", [1]), "params"),
        ("policy name changed", None, lambda m: m["consolidation"].__setitem__("name", "drop"), "consolidation"),
        ("policy missing", None, lambda m: m.pop("compression"), "compression"),
        ("metadata deep nesting", None, lambda m: m.__setitem__("x", json.loads("[" * 50 + "]" * 50)), "nesting"),
    ]
    for name, et, em, needle in edits:
        p = d / ("ck_" + name.replace(" ", "_").replace("^", "") + ".safetensors")
        craft(base, p, et, em)
        cs.append(Case("checkpoint: " + name, R, [str(full), "--resume", str(p), "-o", out], 2, [str(p), needle],
                       [out]))
    # structural damage: checksum mismatch, truncation, data shape, metadata not JSON
    p = d / "ck_flip.safetensors"
    raw = bytearray(base.read_bytes())
    raw[-20] ^= 1
    p.write_bytes(bytes(raw))
    cs.append(Case("checkpoint: flipped bit", R, [str(full), "--resume", str(p), "-o", out], 2, "checksum", [out]))
    p = d / "ck_cut.safetensors"
    p.write_bytes(base.read_bytes()[:600])
    cs.append(Case("checkpoint: truncated", R, [str(full), "--resume", str(p), "-o", out], 2, str(p), [out]))
    p = d / "ck_meta_not_json.safetensors"
    t, _ = st_load(base)
    st_save(p, t, {"predsense.memory": "{not json"})
    cs.append(Case("checkpoint: metadata not JSON", R, [str(full), "--resume", str(p), "-o", out], 2, "JSON", [out]))
    p = d / "ck_no_meta.safetensors"
    st_save(p, t, {})
    cs.append(Case("checkpoint: no metadata", R, [str(full), "--resume", str(p), "-o", out], 2, "not a predsense",
                   [out]))
    p = d / "ck_data_shape.safetensors"
    craft(base, p, lambda t: t.__setitem__("long_term.data", t["long_term.data"].reshape(-1, 1)))
    cs.append(Case("checkpoint: data reshaped", R, [str(full), "--resume", str(p), "-o", out], 2, "long_term.data",
                   [out]))
    p = d / "ck_missing_tensor.safetensors"
    craft(base, p, lambda t: t.pop("window.flags"))
    cs.append(Case("checkpoint: tensor missing", R, [str(full), "--resume", str(p), "-o", out], 2, "window.flags",
                   [out]))
    p = d / "ck_wrong_dtype.safetensors"
    craft(base, p, lambda t: t.__setitem__("long_term.tokens", t["long_term.tokens"].astype(np.float64)))
    cs.append(Case("checkpoint: tokens as F64", R, [str(full), "--resume", str(p), "-o", out], 2, "long_term.tokens",
                   [out]))
    cs.append(Case("checkpoint: a JSON file", R, [str(full), "--resume", str(full), "-o", out], 2, str(full), [out]))
    cs.append(Case("checkpoint: missing", R, [str(full), "--resume", str(d / "no.safetensors"), "-o", out], 2,
                   "no.safetensors", [out]))
    cs.append(Case("checkpoint: longer than the input", R, [str(d / "ck_short.json"), "--resume", str(base), "-o", out],
                   2, "frames", [out], files={"ck_short.json": json.dumps(dict(cfg, surprise=cfg["surprise"][:50]))}))
    cs.append(Case("checkpoint: other configuration", R,
                   [str(d / "ck_other.json"), "--resume", str(base), "-o", out], 2, "budget", [out],
                   files={"ck_other.json": json.dumps(dict(cfg, budget=1000))}))
    # the audit's reproducers (written by an older predsense; refused whatever they contain)
    if data_dir is not None:
        more = data_dir / "replay_more_fifo.json"
        for f in ("replay_ck_merged_wrap.safetensors", "replay_ck_fifo_grid_wrap.safetensors"):
            if (data_dir / f).exists() and more.exists():
                cs.append(Case("audit: " + f, R, [str(d / "audit" / more.name), "--resume", str(d / "audit" / f),
                                                  "-o", out], 2, f, [out]))
        for f in ("replay_grid_wrap.json", "replay_dim_wrap.json"):
            if (data_dir / f).exists():
                cs.append(Case("audit: " + f, R, [str(d / "audit" / f), "-o", out], 2, f, [out]))
    return cs


def recall_cases(d):
    R = "predsense-memory-recall"
    out = str(d / "recall_out.json")
    small = ["--minutes", "1", "--seeds", "1", "--dim", "4"]
    cs = [Case("recall: control", R, small + ["-o", out], 0)]
    for opt, vals in [("--minutes", ["-1", "0", "abc", "1e3", "99999", "nan", "10,-1"]),
                      ("--seeds", ["0", "-1", "1.5", "inf"]), ("--dim", ["0", "-3", "1e9"]),
                      ("--budget", ["10", "-1", "18446744073709551616"]), ("--window", ["-1", "x"]),
                      ("--threshold", ["nan", "inf", "-inf", "1e300", "0.1x"]),
                      ("--timeline-minutes", ["-5"])]:
        for v in vals:
            cs.append(Case("recall: %s %s" % (opt, v), R, small + [opt, v, "-o", out], 2, opt, [out]))
    cs.append(Case("recall: --timeline-minutes not run", R, small + ["--timeline-minutes", "5", "-o", out], 2,
                   "--timeline-minutes", [out]))
    cs.append(Case("recall: -o in a missing directory", R, small + ["-o", str(d / "missing" / "o.json")], 2,
                   "does not exist"))
    cs.append(Case("recall: -o is a directory", R, small + ["-o", str(d)], 2, "directory"))
    cs.append(Case("recall: stdout is /dev/full", R, small, 2, "standard output", stdout="/dev/full"))
    cs.append(Case("recall: unknown option", R, ["--bogus"], 2, "--bogus"))
    cs.append(Case("recall: stray argument", R, small + ["extra"], 2, "extra"))
    return cs


def predictor_eval_cases(d):
    R = "predsense-predictor-eval"
    cs = []
    for opt, vals in [("--seeds", ["0", "-1", "abc"]), ("--frames", ["0", "10", "-5", "1e9"]),
                      ("--tokens", ["0", "-1"]), ("--dim", ["0", "-1", "nan"])]:
        for v in vals:
            cs.append(Case("predictor-eval: %s %s" % (opt, v), R, [opt, v], 2, opt))
    cs.append(Case("predictor-eval: unknown option", R, ["--bogus"], 2, "--bogus"))
    cs.append(Case("predictor-eval: stdout is /dev/full", R,
                   ["--seeds", "1", "--frames", "100", "--tokens", "2", "--dim", "4"], 2, "standard output",
                   stdout="/dev/full"))
    return cs


def vsc_cases(d):
    R = "predsense-vsc"
    small = ["--minutes", "1", "--repeat", "1", "--seeds", "1"]
    out = str(d / "vsc_out.json")
    cs = [Case("vsc: control", R, small + ["--json", out], 0)]
    for opt, vals in [("--repeat", ["0", "-1", "101", "x"]), ("--minutes", ["0", "-1", "nan", "1e9"]),
                      ("--seeds", ["0", "-3"]), ("--seed", ["-1", "1.5"]), ("--fp-rate", ["1e300", "-1", "nan"]),
                      ("--miss-prob", ["2", "-0.1"]), ("--twin-prob", ["inf"]), ("--class-share", ["1.5"]),
                      ("--view-noise", ["-1", "inf"]), ("--threshold", ["nan"]), ("--match-threshold", ["3"]),
                      ("--within-threshold", ["-2"])]:
        for v in vals:
            args = [a for a in small]
            if opt in args:  # replace the default small value
                i = args.index(opt)
                del args[i:i + 2]
            cs.append(Case("vsc: %s %s" % (opt, v), R, args + [opt, v, "--json", out], 2, opt, [out]))
    cs.append(Case("vsc: --json in a missing directory", R, small + ["--json", str(d / "missing" / "x.json")], 2,
                   "does not exist"))
    cs.append(Case("vsc: --json and --trace the same file", R, small + ["--json", out, "--trace", out], 2,
                   "--trace", [out]))
    cs.append(Case("vsc: stdout is /dev/full", R, small, 2, "standard output", stdout="/dev/full"))
    cs.append(Case("vsc: unknown option", R, ["--bogus"], 2, "--bogus"))
    return cs


def tcpd_cases(d):
    R = "predsense-tcpd"
    ann_p = d / "tcpd_ann.json"
    ann_p.write_text(json.dumps({"s": {"1": [30], "2": [31]}}))
    ann = str(ann_p)
    vals = [0.0] * 30 + [5.0] * 30
    good_p = d / "tcpd_good.json"
    good_p.write_text(json.dumps({"name": "s", "n_obs": 60, "series": [{"raw": vals}]}))
    good = str(good_p)
    out = str(d / "tcpd_out.json")
    cs = [Case("tcpd: control", R, ["--annotations", ann, good, "--json", out], 0)]

    def series(name, obj, needle):
        p = d / ("tcpd_" + name.replace(" ", "_") + ".json")
        p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        cs.append(Case("tcpd: " + name, R, ["--annotations", ann, good, str(p), "--json", out], 2, [str(p), needle],
                       [out]))

    series("not JSON", "{", "not valid JSON")
    series("top level array", [1, 2], "top level")
    series("no n_obs", {"series": [{"raw": vals}]}, "n_obs")
    series("n_obs negative", {"n_obs": -1, "series": [{"raw": vals}]}, "n_obs")
    series("n_obs float", {"n_obs": 60.5, "series": [{"raw": vals}]}, "n_obs")
    series("n_obs string", {"n_obs": "60", "series": [{"raw": vals}]}, "n_obs")
    series("n_obs 1e9 with 60 values", {"n_obs": 10 ** 9, "series": [{"raw": vals}]}, "n_obs")
    series("n_obs 2^64-1", {"n_obs": 2 ** 64 - 1, "series": [{"raw": vals}]}, "n_obs")
    series("n_obs zero", {"n_obs": 0, "series": [{"raw": []}]}, "n_obs")
    series("series not array", {"n_obs": 60, "series": {"raw": vals}}, "series")
    series("series empty", {"n_obs": 60, "series": []}, "series")
    series("raw missing", {"n_obs": 60, "series": [{"values": vals}]}, "raw")
    series("raw not array", {"n_obs": 60, "series": [{"raw": 3}]}, "raw")
    series("raw bool", {"n_obs": 60, "series": [{"raw": [True] + vals[1:]}]}, "raw[0]")
    series("raw text", {"n_obs": 60, "series": [{"raw": ["abc"] + vals[1:]}]}, "raw[0]")
    series("raw Infinity string", {"n_obs": 60, "series": [{"raw": ["Infinity"] + vals[1:]}]}, "infinite")
    series("raw number overflow", '{"n_obs": 2, "series": [{"raw": [1e400, 1]}]}', "raw")
    series("all missing", {"n_obs": 60, "series": [{"raw": [None] * 60}]}, "missing")
    series("deep nesting", "[" * 100000, "nested deeper")
    series("dims disagree", {"n_obs": 60, "series": [{"raw": vals}, {"raw": vals[:59]}]}, "series[1].raw")
    series("name a number", {"name": 5, "n_obs": 60, "series": [{"raw": vals}]}, "field 'name' must be a string")
    series("name null", {"name": None, "n_obs": 60, "series": [{"raw": vals}]}, "field 'name' must be a string")

    def annotations(name, obj, needle):
        p = d / ("tcpd_ann_" + name.replace(" ", "_") + ".json")
        p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        cs.append(Case("tcpd annotations: " + name, R, ["--annotations", str(p), good, "--json", out], 2,
                       [str(p), needle], [out]))

    annotations("not JSON", "[", "not valid JSON")
    annotations("top level array", [1], "top level")
    annotations("series not object", {"s": [30]}, "s")
    annotations("annotator not array", {"s": {"1": 30}}, "s.1")
    annotations("change point float", {"s": {"1": [30.5]}}, "s.1")
    annotations("change point string", {"s": {"1": ["30"]}}, "s.1")
    annotations("no annotators", {"s": {}}, "annotators")
    annotations("deep nesting", '{"s": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper")
    short = d / "tcpd_short.json"
    short.write_text(json.dumps({"n_obs": 2, "series": [{"raw": [1, 2]}]}))
    cs.append(Case("tcpd: too short for the method", R, ["--annotations", ann, "--method", "peak", good, str(short),
                                                          "--json", out], 2, [str(short), "window"], [out]))
    for args, needle in [(["--method", "nope"], "unknown method"), (["--param", "gamma=1"], "gamma"),
                         (["--param", "lag=abc"], "lag"), (["--param", "lag=-1"], "lag"),
                         (["--param", "lag=nan"], "lag"), (["--param", "novalue"], "key=value"),
                         (["--method", "bocpd", "--param", "lambda=-1"], "lambda"),
                         (["--missing", "bogus"], "skip, interpolate or error"),
                         (["--method", "binseg", "--param", "min_size=0"], "min_size"),
                         (["--method", "pelt", "--param", "penalty=bogus"], "penalty")]:
        cs.append(Case("tcpd: " + " ".join(args), R, ["--annotations", ann] + args + [good, "--json", out], 2,
                       needle, [out]))
    cs.append(Case("tcpd: --json is a series", R, ["--annotations", ann, good, "--json", good], 2, "input"))
    cs.append(Case("tcpd: --json is the annotations", R, ["--annotations", ann, good, "--json", ann], 2, "input"))
    cs.append(Case("tcpd: --json in a missing directory", R,
                   ["--annotations", ann, good, "--json", str(d / "missing" / "x.json")], 2, "does not exist"))
    cs.append(Case("tcpd: --json is a directory", R, ["--annotations", ann, good, "--json", str(d)], 2, "directory"))
    cs.append(Case("tcpd: no series", R, ["--annotations", ann], 2, "series"))
    cs.append(Case("tcpd: no annotations", R, [good], 2, "--annotations"))
    cs.append(Case("tcpd: missing series file", R, ["--annotations", ann, str(d / "none.json")], 2, "none.json"))
    cs.append(Case("tcpd: stdout is /dev/full", R, ["--annotations", ann, good], 2, "standard output",
                   stdout="/dev/full"))
    cs.append(Case("tcpd: unknown option", R, ["--bogus"], 2, "--bogus"))
    return cs


def lfp_cases(d):
    R = "predsense-lfp"
    rng = np.random.default_rng(0)
    h, o = 4, 3
    w = d / "lfp_w.safetensors"
    st_save(w, {"0.weight": rng.normal(size=(h, h)).astype(np.float32), "0.bias": np.zeros(h, np.float32),
                "2.weight": rng.normal(size=(o, h)).astype(np.float32), "2.bias": np.zeros(o, np.float32)}, {})
    x = d / "lfp_x.safetensors"
    st_save(x, {"x": rng.normal(size=(5, h)).astype(np.float32), "target": rng.normal(size=(5, o)).astype(np.float32)},
            {})
    xbad = d / "lfp_xbad.safetensors"
    st_save(xbad, {"x": rng.normal(size=(5, h + 1)).astype(np.float32)}, {})
    junk = d / "lfp_junk.safetensors"
    junk.write_bytes(b"\xff" * 64)
    y = str(d / "lfp_y.safetensors")
    W, X = str(w), str(x)
    fwd = ["forward", "--weights", W, "--inputs", X]
    cs = [Case("lfp: control forward (no --prefix: names without a prefix)", R, fwd + ["--out", y], 0),
          Case("lfp: control train-step", R, ["train-step", "--weights", W, "--inputs", X, "--out", y], 0)]
    cs.append(Case("lfp: no subcommand", R, [], 2, "subcommand"))
    cs.append(Case("lfp: unknown subcommand", R, ["backwards"], 2, "subcommand"))
    cs.append(Case("lfp: forward without --weights", R, ["forward", "--inputs", X, "--out", y], 2, "--weights", [y]))
    cs.append(Case("lfp: --out is --inputs", R, fwd + ["--out", X], 2, "input"))
    cs.append(Case("lfp: --out is --weights", R, fwd + ["--out", W], 2, "input"))
    cs.append(Case("lfp: --out in a missing directory", R, fwd + ["--out", str(d / "missing" / "y")], 2,
                   "does not exist"))
    cs.append(Case("lfp: --weights missing", R, ["forward", "--weights", str(d / "no"), "--inputs", X, "--out", y],
                   2, "no", [y]))
    cs.append(Case("lfp: --weights junk", R, ["forward", "--weights", str(junk), "--inputs", X, "--out", y], 2,
                   str(junk), [y]))
    cs.append(Case("lfp: --inputs junk", R, ["forward", "--weights", W, "--inputs", str(junk), "--out", y], 2,
                   str(junk), [y]))
    cs.append(Case("lfp: x of the wrong width", R, ["forward", "--weights", W, "--inputs", str(xbad), "--out", y], 2,
                   "x", [y]))
    cs.append(Case("lfp: forward --prefix that matches nothing", R, fwd + ["--prefix", "model.", "--out", y], 2,
                   "model.", [y]))
    cs.append(Case("lfp: train-step without target", R,
                   ["train-step", "--weights", W, "--inputs", str(xbad), "--out", y], 2, "x", [y]))
    tr = ["train-step", "--weights", W, "--inputs", X, "--out", y]
    for opt, v in [("--lr", "-1"), ("--lr", "nan"), ("--lr", "inf"), ("--steps", "0"), ("--steps", "-1"),
                   ("--steps", "abc"), ("--momentum", "2"), ("--weight-decay", "-1"), ("--optimizer", "rmsprop"),
                   ("--mse-weight", "nan"), ("--cos-weight", "1e300")]:
        cs.append(Case("lfp: train-step %s %s" % (opt, v), R, tr + [opt, v], 2, opt, [y]))
    bb = ["backbone", "--weights", W, "--inputs", X, "--out", y, "--hidden", "4", "--layers", "1", "--heads", "1",
          "--kv-heads", "1", "--intermediate", "8"]
    for opt, v in [("--hidden", "0"), ("--heads", "-1"), ("--layers", "0"), ("--rope-theta", "nan"),
                   ("--attn-block", "0"), ("--input-dim", "-4")]:
        args = list(bb)
        if opt in args:
            i = args.index(opt)
            del args[i:i + 2]
        cs.append(Case("lfp: backbone %s %s" % (opt, v), R, args + [opt, v], 2, opt, [y]))
    cs.append(Case("lfp: backbone --out is --weights", R, [a if a != y else W for a in bb], 2, "input"))
    cs.append(Case("lfp: backbone weights without the decoder", R, bb, 2, W, [y]))
    cs.append(Case("lfp: forward option on another subcommand", R, fwd + ["--out", y, "--lr", "1"], 2, "--lr", [y]))
    # a NaN/Inf in an input tensor: refused (it came out as NaN with exit 0), naming file, tensor, index
    for name, tensors, sub, needle in [
            ("forward x NaN", {"x": np.where(np.arange(5 * h).reshape(5, h) == 6, np.nan, 1).astype(np.float32)},
             "forward", '"x" has a non-finite value nan at flat index 6'),
            ("forward x Inf", {"x": np.full((5, h), np.inf, np.float32)}, "forward", '"x" has a non-finite value inf'),
            ("train-step target NaN", {"x": np.ones((5, h), np.float32), "target": np.full((5, o), np.nan, np.float32)},
             "train-step", '"target" has a non-finite value nan')]:
        q = d / ("lfp_" + name.replace(" ", "_") + ".safetensors")
        st_save(q, tensors, {})
        cs.append(Case("lfp: " + name, R, [sub, "--weights", W, "--inputs", str(q), "--out", y], 2, [str(q), needle],
                       [y]))
    return cs


# ---- outputs on a full disk and in a read-only folder (small tmpfs mounts; root only) -------------
MOUNTS = {}  # name -> path, filled by mount_scratch_filesystems


def mount_scratch_filesystems(work):
    """A full 64 KiB tmpfs (filled by one file) and a read-only one under `work`, where the machine
    allows it (root with mount rights). Returns the notes for the cases that had to be skipped."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return ["full disk / read-only folder cases skipped: not root"]
    notes = []
    for name, opts in (("full", "size=64k"), ("ro", "size=64k,ro")):
        p = work / ("mnt_" + name)
        p.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "predsense-hostile", str(p)], capture_output=True)
        if r.returncode != 0:
            p.rmdir()
            notes.append("%s cases skipped: cannot mount a tmpfs (%s)" % (name, r.stderr.decode().strip()))
            continue
        MOUNTS[name] = p
    if "full" in MOUNTS:
        fd = os.open(MOUNTS["full"] / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
    return notes


def unmount_scratch_filesystems():
    for p in MOUNTS.values():
        subprocess.run(["umount", str(p)], capture_output=True)
    MOUNTS.clear()


def disk_cases(d):
    """Every tool output path that was exit 1 ("internal error") on a full disk or read-only folder."""
    cs = []
    rng = np.random.default_rng(2)
    h, o = 4, 3
    w = d / "disk_w.safetensors"
    st_save(w, {"0.weight": rng.normal(size=(h, h)).astype(np.float32), "0.bias": np.zeros(h, np.float32),
                "2.weight": rng.normal(size=(o, h)).astype(np.float32), "2.bias": np.zeros(o, np.float32)}, {})
    x = d / "disk_x.safetensors"
    st_save(x, {"x": rng.normal(size=(5, h)).astype(np.float32), "target": rng.normal(size=(5, o)).astype(np.float32)},
            {})
    g = d / "disk_replay.json"
    g.write_text(json.dumps({"surprise": [0.5, 0.1, 0.9, 0.2] * 10, "budget": 900, "window": 8, "dim": 2}))
    why = {"full": "No space left on device", "ro": "Read-only file system"}
    for name, mnt in MOUNTS.items():
        y, ck, js = str(mnt / "y.safetensors"), str(mnt / "ck.safetensors"), str(mnt / "o.json")
        cs.append(Case("lfp: forward --out on a %s disk" % name, "predsense-lfp",
                       ["forward", "--weights", str(w), "--inputs", str(x), "--out", y], 2,
                       ["--out " + y, "cannot write", why[name]], [y]))
        cs.append(Case("lfp: train-step --out on a %s disk" % name, "predsense-lfp",
                       ["train-step", "--weights", str(w), "--inputs", str(x), "--out", y], 2,
                       ["--out " + y, why[name]], [y]))
        cs.append(Case("replay: --checkpoint on a %s disk" % name, "predsense-memory-replay",
                       [str(g), "--checkpoint", ck], 2, ["--checkpoint " + ck, "cannot write", why[name]], [ck]))
        cs.append(Case("replay: --checkpoint-every on a %s disk" % name, "predsense-memory-replay",
                       [str(g), "--checkpoint", ck, "--checkpoint-every", "5"], 2, ["--checkpoint " + ck, why[name]],
                       [ck]))
        cs.append(Case("replay: -o on a %s disk" % name, "predsense-memory-replay", [str(g), "-o", js], 2,
                       ["-o " + js, why[name]], [js]))
    return cs


# ---- runner --------------------------------------------------------------------------------------
def video_cases(d):
    """predsense-video: bad videos, bad feature files, bad options, outputs over inputs. The
    controls are a 1-second generated clip and a small feature file."""
    R = "predsense-video"
    clip = d / "clip.mp4"
    if not clip.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                        "-pix_fmt", "yuv420p", str(clip)], check=True)
    C = str(clip)
    rng = np.random.default_rng(1)
    feats = d / "vf.npy"
    np.save(feats, rng.normal(size=(12, 4, 8)).astype(np.float32))
    F = str(feats)
    out = str(d / "v_out.json")

    def npy(name, arr):
        q = d / name
        np.save(q, arr)
        return str(q)

    def raw(name, data):
        q = d / name
        q.write_bytes(data)
        return str(q)

    Q = ["-q"]
    cs = [Case("video: control clip", R, Q + [C, "--json", out], 0),
          Case("video: control features", R, Q + ["--features", F, "--json", out], 0),
          Case("video: control exports", R, Q + [C, "--scenes-csv", str(d / "v_s.csv"), "--edl", str(d / "v_s.edl"),
                                                  "--split-video", str(d / "v_split"), "--report", str(d / "v_r.html")],
               0)]
    bad_files = [
        ("missing video", [str(d / "no_such.mp4")], "no_such.mp4"),
        ("empty file", [raw("v_empty.mp4", b"")], "v_empty.mp4"),
        ("text file as video", [raw("v_text.mp4", b"not a video at all\n" * 40)], "v_text.mp4"),
        ("random bytes as video", [raw("v_rand.mkv", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())],
         "v_rand.mkv"),
        ("truncated mp4", [raw("v_trunc.mp4", clip.read_bytes()[:300])], "v_trunc.mp4"),
        ("directory as video", [str(d)], ""),
        ("no input at all", [], ""),
        ("features missing", ["--features", str(d / "no_such.npy")], "no_such.npy"),
        ("features not npy", ["--features", raw("vf_text.npy", b"hello")], "vf_text.npy"),
        ("features truncated", ["--features", raw("vf_trunc.npy", feats.read_bytes()[:140])], "vf_trunc.npy"),
        ("features 1-D", ["--features", npy("vf_1d.npy", np.ones(8, np.float32))], "vf_1d.npy"),
        ("features 4-D", ["--features", npy("vf_4d.npy", np.ones((2, 3, 4, 5), np.float32))], "vf_4d.npy"),
        ("features zero frames", ["--features", npy("vf_0.npy", np.ones((0, 4, 8), np.float32))], "vf_0.npy"),
        ("features zero dim", ["--features", npy("vf_d0.npy", np.ones((6, 4, 0), np.float32))], "vf_d0.npy"),
        ("features NaN", ["--features", npy("vf_nan.npy", np.full((6, 4, 8), np.nan, np.float32))], "vf_nan.npy"),
        ("features Inf", ["--features", npy("vf_inf.npy", np.full((6, 4, 8), np.inf, np.float32))], "vf_inf.npy"),
    ]
    for name, args, needle in bad_files:
        cs.append(Case("video: " + name, R, Q + args + ["--json", out], 2, needle, [out]))
    # read_npy converts these to float32 C order (documented): controls, not bad inputs
    for name, arr in (("float64", rng.normal(size=(6, 4, 8))),
                      ("Fortran order", np.asfortranarray(rng.normal(size=(6, 4, 8)).astype(np.float32))),
                      ("big-endian", np.ones((6, 4, 8), ">f4"))):
        cs.append(Case("video: control features " + name, R,
                       Q + ["--features", npy("vf_" + name.replace(" ", "_") + ".npy", arr), "--json", out], 0))
    opts = [
        ("--fps 0", ["--fps", "0"]), ("--fps -1", ["--fps", "-1"]), ("--fps nan", ["--fps", "nan"]),
        ("--fps inf", ["--fps", "inf"]), ("--fps text", ["--fps", "fast"]),
        ("--segmenter unknown", ["--segmenter", "magic"]), ("--predictor unknown", ["--predictor", "oracle"]),
        ("--window 0", ["--window", "0"]), ("--window -3", ["--window", "-3"]), ("--gamma nan", ["--gamma", "nan"]),
        ("--prominence -1", ["--prominence", "-1"]), ("--floor 1e7", ["--floor", "1e7"]), ("--floor nan", ["--floor", "nan"]),
        ("--z-threshold -1", ["--z-threshold", "-1"]), ("--absolute-prominence -1", ["--absolute-prominence", "-1"]),
        ("--min-gap 0", ["--min-gap", "0"]), ("--threshold nan", ["--threshold", "nan"]),
        ("--grid 0", ["--grid", "0"]), ("--grid 1000", ["--grid", "1000"]), ("--dim 0", ["--dim", "0"]),
        ("--dim -1", ["--dim", "-1"]), ("--memory-budget 0", ["--memory-budget", "0"]),
        ("--memory-window -1", ["--memory-window", "-1"]), ("--lfp-lr 5", ["--predictor", "lfp", "--lfp-lr", "5"]),
        ("unknown option", ["--bogus"]), ("option without value", ["--fps"]),
    ]
    for name, args in opts:
        cs.append(Case("video: " + name, R, Q + [C] + args + ["--json", out], 2, outputs=[out]))
    same = [
        ("--json over the video", [C, "--json", C], "input"),
        ("--json over --features", ["--features", F, "--json", F], "input"),
        ("--features-out over the video", [C, "--features-out", C], "input"),
        ("--features-out over --features", ["--features", F, "--features-out", F], "input"),
        ("--plot over the video", [C, "--plot", C], "input"),
        ("--sheet over the video", [C, "--sheet", C], "input"),
        ("--json and --plot share a file", [C, "--json", str(d / "v_a"), "--plot", str(d / "v_a")], "share"),
        ("--json and --features-out share a file",
         ["--features", F, "--json", str(d / "v_b"), "--features-out", str(d / "v_b")], "share"),
        ("--json in a missing directory", [C, "--json", str(d / "missing" / "o.json")], "does not exist"),
        ("--plot in a missing directory", [C, "--plot", str(d / "missing" / "x.png")], "does not exist"),
        ("--features-out in a missing directory", [C, "--features-out", str(d / "missing" / "f.npy")],
         "does not exist"),
        ("--json is a directory", [C, "--json", str(d)], ""),
        ("--report over the video", [C, "--report", C], "input"),
        ("--scenes-csv over the video", [C, "--scenes-csv", C], "input"),
        ("--edl over --features", ["--features", F, "--edl", F], "input"),
        ("--scenes-csv and --edl share a file", [C, "--scenes-csv", str(d / "v_c"), "--edl", str(d / "v_c")], "share"),
        ("--report in a missing directory", [C, "--report", str(d / "missing" / "r.html")], "does not exist"),
        ("--edl in a missing directory", [C, "--edl", str(d / "missing" / "s.edl")], "does not exist"),
        ("--split-video is the video", [C, "--split-video", C], "not a directory"),
        ("--split-video in a missing directory", [C, "--split-video", str(d / "missing" / "s")], "does not exist"),
        ("--split-video without the video", ["--features", F, "--split-video", str(d / "v_sd")], "needs the INPUT"),
    ]
    for name, args, needle in same:
        cs.append(Case("video: " + name, R, Q + args, 2, needle))
    cs.append(Case("video: stdout is /dev/full", R, Q + ["--features", F], 2, "standard output",
                   stdout="/dev/full"))
    # a container with a video stream and no frame in it: said as such, not as ffmpeg's raw log (an
    # empty .mp4 has no usable stream at all for ffprobe: "not a video", a case above)
    for ext in ("avi",):
        empty = d / ("v_noframes." + ext)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                        "-frames:v", "0", "-c:v", "mpeg4", str(empty)], check=True)
        cs.append(Case("video: a video stream without frames (%s)" % ext, R, Q + [str(empty), "--json", out], 2,
                       [str(empty), "no video frames"], [out]))
    # in-process decoding: pipes, standard input, rationals, absurd headers, signals. Through a pipe the
    # clip goes as Matroska (an .mp4 whose index sits at its end cannot be read without seeking).
    stream_clip = d / "clip_stream.mkv"
    if not stream_clip.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", C, "-c", "copy", str(stream_clip)], check=True)
    S = stream_clip.read_bytes()
    y4m_empty = raw("v_noframes.y4m", b"YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n")
    cs.append(Case("video: a y4m header and no frame", R, Q + [y4m_empty, "--json", out], 2,
                   [y4m_empty, "no video frames"], [out]))
    huge = raw("v_huge.y4m", b"YUV4MPEG2 W30000 H30000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x80" * 4096)
    cs.append(Case("video: a huge picture size in the header", R, Q + [huge, "--json", out], 2,
                   huge, [out]))
    cs.append(Case("video: control named pipe as INPUT", R, Q + ["FIFO", "--json", out], 0, fifo=str(stream_clip)))
    cs.append(Case("video: control standard input as INPUT", R, Q + ["-", "--json", out], 0, stdin=S))
    cs.append(Case("video: control --fps 24000/1001", R, Q + [C, "--fps", "24000/1001", "--json", out], 0))
    cs.append(Case("video: control --fps 30000:1001", R, Q + [C, "--fps", "30000:1001", "--json", out], 0))
    cs.append(Case("video: --fps 24000/0", R, Q + [C, "--fps", "24000/0", "--json", out], 2, "--fps", [out]))
    cs.append(Case("video: --fps 1/0.5x", R, Q + [C, "--fps", "1/0.5x", "--json", out], 2, "--fps", [out]))
    cs.append(Case("video: --sheet of standard input", R, Q + ["-", "--sheet", str(d / "v_sh.png")], 2,
                   "regular file", [str(d / "v_sh.png")], stdin=S))
    cs.append(Case("video: stdin closed with nothing", R, Q + ["-", "--json", out], 2, "<stdin>", [out], stdin=b""))
    # signals: mid-decoding (stdin kept open, half a clip sent) and while a child runs (a stand-in
    # interpreter that sleeps, for --plot, with --json already staged): exit 128 + signal, nothing left
    half = S[: len(S) // 2]
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        name = signal.Signals(sig).name
        cs.append(Case("video: %s while decoding standard input" % name, R, Q + ["-", "--json", out], code,
                       "predsense-video", [out], stdin=half, signal=(sig, 1.5)))
        slow = d / "slow_python.sh"
        pidf = d / "slow_python.pid"
        slow.write_text("#!/bin/sh\necho $$ > %s\nexec sleep 60\n" % pidf)
        slow.chmod(0o755)
        cs.append(Case("video: %s while --plot's child runs" % name, R,
                       Q + [C, "--json", out, "--plot", str(d / "v_p.png")], code, "no output written",
                       [out, str(d / "v_p.png")], signal=(sig, 2.5), env={"PREDSENSE_PYTHON": str(slow)},
                       pidfile=str(pidf)))
    return cs


def snapshot(root):
    snap = {}
    for p in sorted(Path(root).rglob("*")):
        if p.is_file() and not p.is_symlink() and not p.is_fifo():
            snap[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return snap


def run_case(c, bin_dir, work, timeout):
    for name, text in c.files.items():
        (work / name).write_text(text)
    for o in c.outputs:
        if os.path.exists(o):
            os.remove(o)
    before = snapshot(work)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98", LC_ALL="C", OMP_NUM_THREADS="1",
               **c.env)
    stdout = open(c.stdout, "wb") if c.stdout else subprocess.DEVNULL
    args = list(c.args)
    fifo = writer = None
    if c.fifo:
        fifo = work / "input.fifo"
        os.mkfifo(fifo)
        args = [str(fifo) if x == "FIFO" else x for x in args]

        def feed():
            try:
                with open(fifo, "wb") as w:
                    w.write(Path(c.fifo).read_bytes())
            except OSError:
                pass
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
    try:
        if c.signal:
            p = subprocess.Popen([str(bin_dir / c.tool)] + args, stdin=subprocess.PIPE, stdout=stdout,
                                 stderr=subprocess.PIPE, env=env)
            try:
                p.stdin.write(c.stdin or b"")
                p.stdin.flush()
            except OSError:
                pass
            time.sleep(c.signal[1])
            p.send_signal(c.signal[0])
            try:
                _, e = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                return "did not end within %ds of the signal (a hang)" % timeout
            r = subprocess.CompletedProcess(p.args, p.returncode, None, e)
        else:
            r = subprocess.run([str(bin_dir / c.tool)] + args, input=c.stdin, stdout=stdout,
                               stderr=subprocess.PIPE, env=env, timeout=timeout,
                               stdin=None if c.stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "did not finish within %ds (a hang)" % timeout
    finally:
        if c.stdout:
            stdout.close()
        if fifo is not None:
            try:  # a writer still blocked on the pipe: open it for reading once so it ends
                fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                os.close(fd)
            except OSError:
                pass
            writer.join(5)
            os.remove(fifo)
    err = r.stderr.decode(errors="replace")
    problems = []
    if c.pidfile and os.path.exists(c.pidfile):
        pid = int(Path(c.pidfile).read_text().split()[0])
        os.remove(c.pidfile)
        time.sleep(0.2)
        try:
            os.kill(pid, 0)
            problems.append("child process %d left running" % pid)
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    if r.returncode != c.code:
        problems.append("exit %d, expected %d" % (r.returncode, c.code))
    if any(m in err for m in SANITIZER_MARKS):
        problems.append("sanitizer report")
    for needle in c.expect:
        if needle not in err:
            problems.append("stderr lacks %r" % needle)
    after = snapshot(work)
    for path, digest in before.items():
        if after.get(path) != digest:
            problems.append("input changed or removed: " + path)
    if c.code != 0:
        for o in c.outputs:
            if os.path.exists(o):
                problems.append("output written: " + o)
        for path in after:
            if path not in before:
                problems.append("file left behind: " + path)
    leftovers = [p for p in after if ".tmp." in os.path.basename(p)]
    if leftovers:
        problems.append("temporary files left: " + ", ".join(leftovers))
    if problems:
        return "; ".join(problems) + "\n      stderr: " + err.strip()[-600:]
    # a successful control's outputs are removed, so the next case starts from the same files
    if c.code == 0:
        for path in after:
            if path not in before:
                os.remove(path)
    return None


def all_cases(work, bin_dir, data_dir):
    cs = replay_cases(work, data_dir) + checkpoint_cases(work, bin_dir, data_dir) + recall_cases(work)
    cs += predictor_eval_cases(work) + vsc_cases(work) + tcpd_cases(work) + lfp_cases(work) + disk_cases(work)
    if shutil.which("ffmpeg") and (bin_dir / "predsense-video").exists():
        cs += video_cases(work)
    return cs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build directory (its bin/ holds the tools)")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "hostile"),
                    help="the audit's reproducers (skipped when absent)")
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per case before it counts as a hang")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--list", action="store_true", help="print the cases and exit")
    ap.add_argument("--summary", help="also write the counts as JSON to this file (python_corpus.py --tools-summary)")
    a = ap.parse_args()
    bin_dir = Path(a.build).resolve() / "bin"
    data_dir = Path(a.data) if Path(a.data).is_dir() else None
    missing = [t for t in ("predsense-memory-replay", "predsense-memory-recall", "predsense-predictor-eval",
                           "predsense-vsc", "predsense-tcpd", "predsense-lfp") if not (bin_dir / t).exists()]
    if missing:
        print("hostile corpus: tools not built in %s: %s" % (bin_dir, ", ".join(missing)))
        return 2
    work = Path(tempfile.mkdtemp(prefix="predsense_hostile_"))
    try:
        for note in mount_scratch_filesystems(work):
            print("hostile corpus: " + note)
        if data_dir is not None:
            shutil.copytree(data_dir, work / "audit")
            (work / "audit").chmod(0o755)  # copied read-only: the scratch directory must be removable
        cases = [c for c in all_cases(work, bin_dir, data_dir) if a.k in c.name]
        if a.list:
            for c in cases:
                print("%d  %-22s %s" % (c.code, c.tool, c.name))
            print(len(cases), "cases")
            return 0
        failed = 0
        for c in cases:
            why = run_case(c, bin_dir, work, a.timeout)
            if why:
                failed += 1
                print("FAIL %s: %s" % (c.name, why))
            elif a.v:
                print("ok   " + c.name)
        bad = sum(c.code != 0 for c in cases)
        print("hostile corpus: %d cases (%d bad inputs, %d controls), %d failed" %
              (len(cases), bad, len(cases) - bad, failed))
        if a.summary:
            Path(a.summary).write_text(json.dumps({"cases": len(cases), "bad": bad, "controls": len(cases) - bad,
                                                   "failed": failed}))
        return 1 if failed else 0
    finally:
        unmount_scratch_filesystems()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
