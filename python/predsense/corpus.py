"""predsense.corpus: the predsense-video pipeline over a corpus of videos or feature files, on Dask.

    import predsense.corpus as pc
    table = pc.run(["a.mp4", "b.npy", "c.npz"], pc.Config(), "out/")          # LocalCluster, one worker per core
    table = pc.run(paths, pc.Config(fps=1), "out/", client=Client("tcp://host:8786"))  # an existing cluster

One Dask task per input. Each task runs the built ``predsense-video`` tool on its input (a video, or a
features .npy/.npz through ``--features``) with the configured options, so every per-input result is,
by construction, what the tool itself gives (docs/corpus.md says why a subprocess and not the
bindings). The task then writes ``OUT_DIR/<input path relative to the corpus root>.json`` atomically
(temporary file in the same directory, fsync, rename): the tool's JSON (surprise series, boundaries,
segments, memory summary) plus the config, the library version, the tool's SHA-256, the input's size
and mtime, timings and a checksum of all of it. A rerun accepts a result file only if every one of
those checks passes (:func:`validate_result`), so an interrupted run continues where it stopped.

An input that fails (not a video, a corrupt or wrongly shaped array, ...) gives an error row naming the
file; nothing is written for it and every other input is still processed. Bad arguments (unknown
config field values, missing inputs, an output that would overwrite an input, no tool) raise
:class:`CorpusError` before any work starts; the command line ``predsense-corpus`` exits 2 on them.
"""
from __future__ import annotations

import argparse
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterable, Optional, Sequence

from . import _tools

__all__ = ["Config", "CorpusError", "FEATURE_SUFFIXES", "VIDEO_SUFFIXES", "SCHEMA", "find_tool", "main", "tool_source",
           "process_one", "result_path", "run", "validate_result"]

SCHEMA = "predsense.corpus/1"
FEATURE_SUFFIXES = (".npy", ".npz")
# What the command line picks up without --pattern (anything ffmpeg reads works with --pattern).
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".flv", ".wmv", ".ogv")
TMP_DIR = ".predsense-corpus.tmp"       # per-task scratch, under OUT_DIR; removed at the end of a run
TMP_MARK = ".predsense-tmp-"            # in the names of result files being written
LOCK_FILE = ".predsense-corpus.lock"    # one run per OUT_DIR at a time
COLUMNS = ["input", "kind", "status", "frames", "fps", "boundaries", "segments", "memory_tokens", "wall_s",
           "cpu_s", "result", "error", "worker"]
_RESERVED = ("--json", "--plot", "--sheet", "--features", "--features-out", "-h", "--help")


class CorpusError(ValueError):
    """Bad arguments to :func:`run` (config field, input list, output folder, tool); nothing was run."""


def _version() -> str:
    from . import __version__  # late: importing predsense loads the extension
    return __version__


# ---- configuration --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Config:
    """The pipeline, as predsense-video options. ``None`` means the tool's own default (so a corpus run
    gives what ``predsense-video INPUT`` gives); the effective values are in each result's
    ``result.pipeline`` and ``result.memory``.

    predictor: --predictor (e.g. copy-last, rls, rls-pooled, ema; None: the tool's default). metric:
    the only one predsense-video computes (token-mean cosine distance), named so that a result
    records it. segmenter: --segmenter (e.g. transition, cut, adaptive, peak, threshold; the tool
    checks the name). fps: sampling
    rate for videos (None: every frame at the video's own rate) and the rate of feature files (None:
    the tool's default, 1). memory_*: --memory-window/--memory-budget/--memory-threshold.
    features_key: the array of a multi-array .npz (None: the only array, else one named "features").
    tool_args: further predsense-video options, e.g. ("--prominence", "0.05").
    timeout_s: per input, None for none.
    """
    predictor: Optional[str] = None
    metric: str = "token_cosine_distance"
    segmenter: Optional[str] = None
    fps: Optional[float] = None
    memory_window: Optional[int] = None
    memory_budget: Optional[int] = None
    memory_threshold: Optional[float] = None
    features_key: Optional[str] = None
    tool_args: tuple = ()
    timeout_s: Optional[float] = None

    def validate(self) -> "Config":
        def bad(field, why):
            raise CorpusError(f"Config.{field}={getattr(self, field)!r}: {why}")

        if self.metric != "token_cosine_distance":
            bad("metric", "predsense-video computes the token_cosine_distance metric only")
        for f in ("predictor", "segmenter"):
            v = getattr(self, f)
            if v is not None and (not isinstance(v, str) or not v or v.startswith("-")):
                bad(f, "expected a name or None")
        for f in ("fps", "memory_threshold", "timeout_s"):
            v = getattr(self, f)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                bad(f, "expected a finite number or None")
        if self.fps is not None and self.fps <= 0:
            bad("fps", "must be > 0")
        if self.timeout_s is not None and self.timeout_s <= 0:
            bad("timeout_s", "must be > 0")
        for f in ("memory_window", "memory_budget"):
            v = getattr(self, f)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                bad(f, "expected a non-negative int or None")
        if self.features_key is not None and not isinstance(self.features_key, str):
            bad("features_key", "expected a str or None")
        if not isinstance(self.tool_args, tuple) or not all(isinstance(a, str) for a in self.tool_args):
            bad("tool_args", "expected a tuple of str")
        for a in self.tool_args:
            if a.split("=", 1)[0] in _RESERVED:
                bad("tool_args", f"{a} is set by the corpus runner")
        return self

    def tool_options(self) -> list:
        """The predsense-video options of this config (without input and output)."""
        o = []
        if self.predictor is not None:
            o += ["--predictor", self.predictor]
        if self.segmenter is not None:
            o += ["--segmenter", self.segmenter]
        if self.fps is not None:
            o += ["--fps", repr(float(self.fps))]
        if self.memory_window is not None:
            o += ["--memory-window", str(self.memory_window)]
        if self.memory_budget is not None:
            o += ["--memory-budget", str(self.memory_budget)]
        if self.memory_threshold is not None:
            o += ["--memory-threshold", repr(float(self.memory_threshold))]
        return o + list(self.tool_args)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["tool_args"] = list(self.tool_args)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        d = dict(d)
        d["tool_args"] = tuple(d.get("tool_args", ()))
        return cls(**d)

    def key(self) -> str:
        """What a result must have been computed with to be reused (timeout_s does not change results)."""
        d = self.as_dict()
        d.pop("timeout_s")
        return _sha256_text(_canonical(d))


# ---- helpers --------------------------------------------------------------------------------------

def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _sha256_text(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


_TOOL_HASHES: dict = {}


def _file_sha256(path: Path) -> str:
    st = path.stat()
    k = (str(path), st.st_size, st.st_mtime_ns)
    if k not in _TOOL_HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _TOOL_HASHES[k] = h.hexdigest()
    return _TOOL_HASHES[k]


def find_tool(explicit=None) -> Path:
    """The predsense-video binary: ``explicit``, else $PREDSENSE_VIDEO, else the one this installed
    package carries (predsense/bin), else the build tree this package sits in (BUILD/python/predsense
    -> BUILD/bin), else PATH (predsense._tools.find; tool_source() says which). CorpusError if none
    is executable."""
    return tool_source(explicit)[0]


def tool_source(explicit=None):
    """(path, where it was found: "given", "$PREDSENSE_VIDEO", "installed package", "build tree" or
    "PATH") of the predsense-video find_tool() returns."""
    try:
        return _tools.find("predsense-video", explicit, "PREDSENSE_VIDEO")
    except FileNotFoundError as e:
        raise CorpusError(f"{e}: build it (cmake --build BUILD --target predsense-video), install the wheel "
                          "(make wheel), put it on PATH or set $PREDSENSE_VIDEO") from None


def result_path(inp, root, out_dir) -> Path:
    """OUT_DIR/<input relative to root>.json (the input's suffix is kept: a.mp4 and a.npy do not collide)."""
    rel = Path(os.path.relpath(Path(inp).absolute(), Path(root).absolute()))
    if rel.parts and rel.parts[0] == os.pardir:
        raise CorpusError(f"{inp}: not under the corpus root {root}")
    return Path(out_dir).absolute() / rel.parent / (rel.name + ".json")


def _identity(p) -> Optional[tuple]:
    """(device, inode) of what `p` names (symlinks followed), None if it does not exist. Paths are
    compared by this, never as text: IN/../IN, a symlink or a bind mount all name the same folder."""
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_dev, st.st_ino


def _inside(p, folder_id: Optional[tuple]) -> bool:
    """Whether `p` (a file or folder) is `folder_id` or lies inside it, by identity: every folder on
    `p`'s resolved path is compared with it."""
    if folder_id is None:
        return False
    real = Path(os.path.realpath(p))
    return any(_identity(q) == folder_id for q in (real, *real.parents))


def _shown(text) -> str:
    """`text` printable on any terminal: a file name that is not valid UTF-8 (Python keeps its bytes
    as surrogate escapes) shows those bytes as \\xNN instead of failing the print."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _utf8(text) -> bool:
    try:
        str(text).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _kind(inp: Path) -> str:
    return "features" if inp.suffix.lower() in FEATURE_SUFFIXES else "video"


def _input_identity(inp: Path) -> dict:
    st = inp.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _atomic_write(path: Path, text: str) -> None:
    """Temporary file in the target's directory, fsync, rename; the temporary is removed on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_PRCTL = None


def _prctl():
    """libc's prctl, looked up in the parent: the child (forked from a process with threads) only
    calls it, it loads nothing."""
    global _PRCTL
    if _PRCTL is None:
        try:
            import ctypes
            _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
        except Exception:
            _PRCTL = False
    return _PRCTL


def _die_with_parent():
    """In the tool's child process: SIGKILL it when the worker thread that started it dies (a killed
    Dask worker must not leave tools running). Linux prctl(PR_SET_PDEATHSIG)."""
    fn = _PRCTL
    if fn:
        try:
            fn(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
        except Exception:
            pass


def _run_tool(args: list, log: Path, timeout: Optional[float]):
    """Runs the tool, stdout+stderr to `log`; returns (exit code, wall s, CPU s of it and its ffmpeg)."""
    _prctl()
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    try:
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - t0 > timeout:
                p.kill()
                os.wait4(p.pid, 0)
                p.returncode = -9
                raise TimeoutError(f"timed out after {timeout:g} s")
            time.sleep(0.005)
    except BaseException:
        if p.returncode is None:
            p.kill()
            try:
                os.wait4(p.pid, 0)
            except ChildProcessError:
                pass
            p.returncode = -9
        raise
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, time.perf_counter() - t0, ru.ru_utime + ru.ru_stime


def _tool_message(log: Path, shown: str, actual: str) -> str:
    text = log.read_text(errors="replace").strip().splitlines()
    msg = " ".join(l.strip() for l in text if l.strip()) or "(no message)"
    msg = msg.replace(shown, actual) if shown != actual else msg
    for prefix in ("predsense-video: error: ", f"{actual}: "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return f"{actual}: predsense-video: {msg[:800]}"


def _npz_to_npy(inp: Path, key: Optional[str], dst: Path) -> None:
    import numpy as np
    import zipfile
    try:
        with np.load(inp, allow_pickle=False) as z:
            names = list(z.files)
            if key is not None:
                if key not in names:
                    raise ValueError(f"no array {key!r} (features_key); it holds {names}")
                name = key
            elif len(names) == 1:
                name = names[0]
            elif "features" in names:
                name = "features"
            else:
                raise ValueError(f"holds {len(names)} arrays {names} and none is named 'features'; set features_key")
            a = z[name]
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
        raise ValueError(f"not a readable .npz ({type(e).__name__}: {e})") from None
    np.save(dst, a, allow_pickle=False)


def _row(inp, kind, status, **kw) -> dict:
    r = {c: None for c in COLUMNS}
    r.update(input=str(inp), kind=kind, status=status)
    r.update(kw)
    return r


def _row_from_record(rec: dict, path: Path, status: str) -> dict:
    res, tm = rec["result"], rec["timings"]
    return _row(rec["input"], rec["kind"], status, frames=res["frames"], fps=res["fps"],
                boundaries=len(res["boundaries"]), segments=len(res["segments"]),
                memory_tokens=res["memory"].get("tokens"), wall_s=tm["wall_s"], cpu_s=tm["cpu_s"],
                result=str(path), worker=rec.get("worker"))


# ---- one input (the Dask task) ------------------------------------------------------------------

def process_one(inp, root, out_dir, config: dict, tool=None) -> dict:
    """Runs predsense-video on one input and writes its result file atomically. Never raises for a bad
    input: returns its row (status "done" or "error" with the message)."""
    inp = Path(inp).absolute()
    kind = _kind(inp)
    scratch = None
    try:
        cfg = Config.from_dict(config).validate()
        tool = find_tool(tool)
        if not inp.is_file():
            raise ValueError("no such file" if not inp.exists() else "not a regular file")
        ident = _input_identity(inp)
        target = result_path(inp, root, out_dir)
        scratch_root = Path(out_dir).absolute() / TMP_DIR
        scratch_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=_shown(inp.name)[:40] + ".", dir=scratch_root))  # UTF-8 (below)
        args, shown = [str(tool)], str(inp)
        src = inp
        if not _utf8(inp):
            # the tool writes its input path into its JSON, which must be UTF-8: it reads the file
            # through a UTF-8 alias, and the record gets the real name back below
            src = scratch / ("input" + "".join(c for c in inp.suffix if _utf8(c)))
            src.symlink_to(inp)
            shown = str(src)
        if kind == "features":
            feats = src
            if inp.suffix.lower() == ".npz":
                feats = scratch / "features.npy"
                _npz_to_npy(src, cfg.features_key, feats)
                shown = str(feats)
            args += ["--features", str(feats)]
        else:
            args += [str(src)]
        out_json = scratch / "result.json"
        args += cfg.tool_options() + ["--json", str(out_json), "--quiet"]
        rc, wall, cpu = _run_tool(args, scratch / "tool.log", cfg.timeout_s)
        if rc != 0:
            msg = _tool_message(scratch / "tool.log", shown, str(inp))
            if rc < 0:
                msg += f" (predsense-video killed by signal {-rc})"
            raise ValueError(msg)
        res = json.loads(out_json.read_text())
        if kind == "features":
            res["features"] = str(inp)
        elif src != inp:
            res["input"] = str(inp)
        if _input_identity(inp) != ident:
            raise ValueError("the file changed while it was being processed")
        rec = {
            "schema": SCHEMA,
            "input": str(inp),
            "kind": kind,
            "input_identity": ident,
            "config": cfg.as_dict(),
            "config_key": cfg.key(),
            "version": _version(),
            "tool": {"path": str(tool), "sha256": _file_sha256(tool)},
            "command": [Path(args[0]).name] + [a if a != shown else str(inp) for a in args[1:-3]],
            "timings": {"wall_s": wall, "cpu_s": cpu, "frames_per_s": res["frames"] / wall if wall > 0 else None},
            "worker": f"{socket.gethostname()}:{os.getpid()}",
            "result": res,
        }
        rec["checksum"] = _sha256_text(_canonical(rec))
        _atomic_write(target, json.dumps(rec, indent=1) + "\n")
        return _row_from_record(rec, target, "done")
    except CorpusError as e:
        return _row(inp, kind, "error", error=str(e), worker=f"{socket.gethostname()}:{os.getpid()}")
    except Exception as e:  # noqa: BLE001 - one input's failure is its error row, never the run's
        msg = str(e) if isinstance(e, (ValueError, TimeoutError)) else f"{type(e).__name__}: {e}"
        if not msg.startswith(str(inp)):
            msg = f"{inp}: {msg}"
        return _row(inp, kind, "error", error=msg, worker=f"{socket.gethostname()}:{os.getpid()}")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


# ---- validation (resume) --------------------------------------------------------------------------

def validate_result(path, inp, config: Config, tool_sha256: Optional[str] = None):
    """(record, None) if the result file at `path` is a complete, untampered result of `inp` as it is
    now, computed with `config`, this library version and (if given) this tool; else (None, reason)."""
    path, inp = Path(path), Path(inp).absolute()
    try:
        rec = json.loads(path.read_text())
    except FileNotFoundError:
        return None, "no result file"
    except (OSError, ValueError) as e:
        return None, f"unreadable ({type(e).__name__})"
    if not isinstance(rec, dict) or rec.get("schema") != SCHEMA:
        return None, "not a predsense corpus result"
    body = {k: v for k, v in rec.items() if k != "checksum"}
    try:
        if rec.get("checksum") != _sha256_text(_canonical(body)):
            return None, "checksum mismatch"
    except ValueError:
        return None, "checksum mismatch"
    if rec.get("input") != str(inp):
        return None, "written for another input"
    try:
        if rec.get("input_identity") != _input_identity(inp):
            return None, "the input changed since"
    except OSError:
        return None, "input missing"
    if rec.get("config_key") != config.key():
        return None, "another config"
    if rec.get("version") != _version():
        return None, "another library version"
    if tool_sha256 is not None and rec.get("tool", {}).get("sha256") != tool_sha256:
        return None, "another predsense-video build"
    res = rec.get("result")
    try:
        n = res["frames"]
        ok = (isinstance(n, int) and n > 0 and len(res["surprise"]) == n and len(res["times"]) == n
              and res["memory"]["frames_seen"] == n
              and all(0 <= b["frame"] < n for b in res["boundaries"])
              and sum(s["frames"] for s in res["segments"]) == n
              and isinstance(rec["timings"]["wall_s"], (int, float)))
    except (KeyError, TypeError):
        ok = False
    if not ok:
        return None, "inconsistent result"
    return rec, None


# ---- the corpus -----------------------------------------------------------------------------------

def _cleanup_temporaries(out_dir: Path) -> None:
    shutil.rmtree(out_dir / TMP_DIR, ignore_errors=True)
    for p in out_dir.rglob(f"*{TMP_MARK}*"):
        try:
            if p.is_file() and p.name.startswith("."):
                p.unlink()
        except OSError:
            pass


def _local_client(workers: Optional[int], out_dir: Path):
    """The embedded cluster: worker THREADS in this process. Every task spends its time in a child
    process (the tool) and waits for it in wait4 without the GIL, so threads use every core; and
    unlike worker processes, which multiprocessing starts by re-importing the calling script, they
    work from a script that calls run() at top level without an `if __name__ == "__main__":` guard."""
    import logging
    from distributed import Client, LocalCluster
    n = workers or os.cpu_count() or 1
    # the workers' scratch space (Dask's dask-worker-space) in the run's temporary folder under OUT_DIR,
    # removed with the cluster, or by the next run if this one is killed: nothing is left in /tmp
    (out_dir / TMP_DIR).mkdir(parents=True, exist_ok=True)
    space = tempfile.mkdtemp(prefix="dask.", dir=out_dir / TMP_DIR)
    try:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=False, dashboard_address=":0",
                               silence_logs=logging.ERROR, local_directory=space)
    except BaseException:
        shutil.rmtree(space, ignore_errors=True)
        raise
    cluster._predsense_space = space
    return Client(cluster), cluster


def run(inputs: Iterable, config: Optional[Config] = None, out_dir=".", client=None, *, root=None,
        workers: Optional[int] = None, progress: bool = False, tool=None):
    """Runs the pipeline on every input not already done; returns a pandas DataFrame, one row per input
    in input order (status "done", "cached" = a valid result from an earlier run, or "error").

    client: a distributed.Client (any cluster); None starts a LocalCluster with `workers` worker
    processes (default: one per core) and stops it at the end. root: the folder results are named
    relative to (default: the inputs' common folder). tool: the predsense-video binary (find_tool).
    """
    import pandas as pd

    config = (config or Config())
    if not isinstance(config, Config):
        raise CorpusError(f"config: expected a predsense.corpus.Config, got {type(config).__name__}")
    config.validate()
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [Path(p).absolute() for p in inputs]
    if len(set(inputs)) != len(inputs):
        dup = sorted({str(p) for p in inputs if inputs.count(p) > 1})
        raise CorpusError(f"inputs: listed twice: {', '.join(dup[:5])}")
    for p in inputs:
        if not p.exists():
            raise CorpusError(f"{p}: no such input file")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise CorpusError(f"workers={workers!r}: expected a positive int")
    if workers is not None and client is not None:
        raise CorpusError("workers: only for the embedded LocalCluster (client=None); size your cluster instead")
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise CorpusError(f"{out_dir}: the output folder is a file")
    if root is None:
        root = Path(os.path.commonpath([str(p.parent) for p in inputs])) if inputs else out_dir
    root = Path(root).absolute()
    targets = [result_path(p, root, out_dir) for p in inputs]
    # by identity, not text: OUT_DIR given as IN/../IN or through a symlink names the inputs' folder
    # under another spelling, and a result would replace an input of the same name
    input_ids = {_identity(p): p for p in inputs}
    clash = sorted(str(input_ids[i]) for i in map(_identity, targets) if i is not None and i in input_ids)
    if clash:
        raise CorpusError(f"{clash[0]}: its result file would overwrite an input")
    tool_path = find_tool(tool)
    tool_sha = _file_sha256(tool_path)
    _check_options(tool_path, config)

    out_dir.mkdir(parents=True, exist_ok=True)
    lock = open(out_dir / LOCK_FILE, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise CorpusError(f"{out_dir}: another predsense-corpus run is writing there") from None
    try:
        _cleanup_temporaries(out_dir)
        rows: list = [None] * len(inputs)
        pending = []
        for i, (p, t) in enumerate(zip(inputs, targets)):
            rec, _why = validate_result(t, p, config, tool_sha)
            if rec is not None:
                rows[i] = _row_from_record(rec, t, "cached")
            else:
                pending.append(i)
        if pending:
            own = None
            if client is None:
                client, own = _local_client(workers, out_dir)
            try:
                _submit_and_collect(client, inputs, pending, rows, root, out_dir, config, tool, progress)
            finally:
                if own is not None:
                    client.close()
                    own.close()
                    shutil.rmtree(own._predsense_space, ignore_errors=True)
        df = pd.DataFrame(rows, columns=COLUMNS)
        for c in ("frames", "boundaries", "segments", "memory_tokens"):
            df[c] = df[c].astype("Int64")
        return df
    finally:
        _cleanup_temporaries(out_dir)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _submit_and_collect(client, inputs, pending, rows, root, out_dir, config, tool, progress):
    from distributed import wait
    run_id = uuid.uuid4().hex[:8]
    cfg = config.as_dict()
    futures = [client.submit(process_one, str(inputs[i]), str(root), str(out_dir), cfg, None if tool is None else str(tool),
                             key=f"predsense-corpus-{run_id}-{i}", pure=False, retries=0) for i in pending]
    try:
        if progress:
            from distributed import progress as dask_progress
            dask_progress(futures)
            print(file=sys.stdout, flush=True)
        wait(futures)
        for i, f in zip(pending, futures):
            if f.status == "finished":
                rows[i] = f.result()
            else:  # e.g. KilledWorker: the input killed every worker that tried it
                e = f.exception()
                rows[i] = _row(inputs[i], _kind(inputs[i]), "error", error=f"{inputs[i]}: {type(e).__name__}: {e}")
    finally:
        client.cancel(futures)


_TINY = None


def _check_options(tool: Path, config: Config) -> None:
    """Runs the tool once on a 4-frame video (a 2-frame features file without ffmpeg) so that an option
    it rejects is a CorpusError now, not one error row per input."""
    import numpy as np
    with tempfile.TemporaryDirectory(prefix="predsense-corpus-check.") as d:
        v = Path(d) / "tiny.avi"
        if shutil.which("ffmpeg"):  # on a 4-frame video: some options apply to videos only
            subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=4:duration=1",
                            "-c:v", "mjpeg", str(v)], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        if v.exists():
            args = [str(v)]
        else:
            f = Path(d) / "tiny.npy"
            np.save(f, np.arange(8, dtype=np.float32).reshape(2, 1, 4) + 1)
            args = ["--features", str(f)]
        r = subprocess.run([str(tool), *args, "--quiet", *config.tool_options()],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise CorpusError(f"config: predsense-video rejects {shlex.join(config.tool_options())}: "
                              f"{r.stderr.strip()[-400:]}")


# ---- command line -------------------------------------------------------------------------------

def _collect(in_dir: Path, out_dir: Path, pattern: Optional[str]) -> list:
    if pattern:
        found = in_dir.glob(pattern)
    else:
        found = (p for p in in_dir.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES + FEATURE_SUFFIXES)
    out_id = _identity(out_dir)
    out = []
    for p in found:
        if not p.is_file() or p.name.startswith("."):
            continue
        a = p.absolute()
        if out_dir == a.parent or out_dir in a.parents or _inside(a.parent, out_id):  # earlier results
            continue
        out.append(a)
    return sorted(out)


def _summary(df, in_dir: Path, wall: float) -> str:
    import pandas as pd
    t = df.copy()
    t["error"] = [None if not isinstance(e, str) else e[len(p) + 2:] if e.startswith(p + ": ") else e
                  for p, e in zip(t["input"], t["error"])]
    t["error"] = ["" if e is None else e if len(e) <= 80 else e[:77] + "..." for e in t["error"]]
    t["error"] = [_shown(e) for e in t["error"]]
    t["input"] = [_shown(os.path.relpath(p, in_dir)) for p in t["input"]]
    cols = ["input", "status", "frames", "boundaries", "segments", "memory_tokens", "wall_s", "error"]
    done = df[df.status == "done"]  # counted on the numbers, before they become text below
    frames = int(sum(int(v) for v in done["frames"] if not pd.isna(v)))
    for c in ("frames", "boundaries", "segments", "memory_tokens", "wall_s"):
        t[c] = [("" if pd.isna(v) else f"{v:.2f}" if c == "wall_s" else str(int(v))) for v in t[c]]
    with pd.option_context("display.max_rows", 200, "display.width", 200, "display.max_colwidth", 90):
        table = t[cols].to_string(index=False, na_rep="", float_format=lambda v: f"{v:.2f}")
    counts = ", ".join(f"{int((t.status == s).sum())} {s}" for s in ("done", "cached", "error"))
    if len(t) > 200:
        table += f"\n... ({len(t)} rows; all in corpus.csv)"
    return (f"{table}\n\n{len(t)} inputs: {counts}; {frames} frames computed in {wall:.1f} s"
            + (f" ({frames / wall:.1f} frames/s, {len(done) / wall:.2f} inputs/s)" if wall > 0 and frames else ""))


def main(argv: Optional[Sequence] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="predsense-corpus",
        description="Run the predsense-video pipeline over every video / features .npy/.npz under IN_DIR on Dask; "
                    "one result JSON per input under OUT_DIR, reruns skip valid results (docs/corpus.md).")
    ap.add_argument("in_dir", metavar="IN_DIR")
    ap.add_argument("out_dir", metavar="OUT_DIR")
    ap.add_argument("--pattern", help="glob relative to IN_DIR, e.g. '**/*.mp4' (default: every file with a video, "
                                      ".npy or .npz suffix, recursively)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786 "
                                                          "(default: a LocalCluster on this machine)")
    ap.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                    help="seconds to wait for --scheduler (default 10)")
    ap.add_argument("--workers", type=int, metavar="N", help="LocalCluster worker processes (default: one per core)")
    ap.add_argument("--fps", type=float, help="predsense-video --fps")
    ap.add_argument("--segmenter", help="predsense-video --segmenter (default: the tool's)")
    ap.add_argument("--predictor", help="predsense-video --predictor (default: the tool's)")
    ap.add_argument("--memory-window", type=int)
    ap.add_argument("--memory-budget", type=int)
    ap.add_argument("--memory-threshold", type=float)
    ap.add_argument("--features-key", help="array of a multi-array .npz")
    ap.add_argument("--tool-args", default="", help="further predsense-video options, e.g. '--prominence 0.05'")
    ap.add_argument("--timeout", type=float, help="seconds per input")
    ap.add_argument("--tool", help="the predsense-video binary (default: $PREDSENSE_VIDEO, else the one the installed package "
                                       "carries, else the build tree, else PATH; printed at the start)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar (default: one on a terminal)")
    a = ap.parse_args(argv)

    def fail(msg):
        print(f"predsense-corpus: error: {msg}", file=sys.stderr)
        return 2

    in_dir, out_dir = Path(a.in_dir).absolute(), Path(a.out_dir).absolute()
    if not in_dir.is_dir():
        return fail(f"{_shown(a.in_dir)}: " + ("not a folder" if in_dir.exists() else "no such folder"))
    # by device and inode (as the C++ tools compare paths): IN/../IN, a symlink or a bind mount of IN
    # is IN under another name
    if out_dir == in_dir or _identity(out_dir) == _identity(in_dir):
        return fail(f"{_shown(a.out_dir)}: OUT_DIR must be another folder than IN_DIR (it is the same folder)")
    if _inside(in_dir, _identity(out_dir)):
        return fail(f"{_shown(a.in_dir)}: IN_DIR is inside OUT_DIR {_shown(a.out_dir)}: results would be written "
                    "among the inputs; choose an OUT_DIR outside IN_DIR")
    if a.workers is not None and a.workers < 1:
        return fail(f"--workers {a.workers}: must be >= 1")
    if a.workers is not None and a.scheduler:
        return fail("--workers is for the local cluster; with --scheduler the cluster has its own workers")
    try:
        tool_args = tuple(shlex.split(a.tool_args))
    except ValueError as e:
        return fail(f"--tool-args: {e}")
    config = Config(predictor=a.predictor, segmenter=a.segmenter, fps=a.fps, memory_window=a.memory_window, memory_budget=a.memory_budget,
                    memory_threshold=a.memory_threshold, features_key=a.features_key, tool_args=tool_args,
                    timeout_s=a.timeout)
    inputs = _collect(in_dir, out_dir, a.pattern)
    if not inputs:
        return fail(f"no input under {_shown(a.in_dir)} matches {a.pattern or 'the video/.npy/.npz suffixes'}")
    client = None
    try:
        config.validate()
        exe, how = tool_source(a.tool)
        print(f"predsense-corpus: predsense-video: {_shown(exe)} ({how})", file=sys.stderr)
        if a.scheduler:
            from distributed import Client
            try:
                client = Client(a.scheduler, timeout=a.connect_timeout)
            except (OSError, TimeoutError, ValueError) as e:
                return fail(f"--scheduler {a.scheduler}: cannot connect ({e})")
        t0 = time.perf_counter()
        df = run(inputs, config, out_dir, client=client, root=in_dir, workers=a.workers, tool=a.tool,
                 progress=not a.no_progress and sys.stdout.isatty())
        wall = time.perf_counter() - t0
    except CorpusError as e:
        return fail(_shown(e))
    except OSError as e:  # OUT_DIR not writable: full disk, read-only, permissions
        return fail(f"{_shown(e.filename or out_dir)}: cannot write the results ({e.strerror or e})")
    except KeyboardInterrupt:
        print("predsense-corpus: interrupted; finished results are kept, rerun the same command to continue",
              file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    try:
        _atomic_write(out_dir / "corpus.csv", df.to_csv(index=False))
    except OSError as e:
        return fail(f"{_shown(out_dir / 'corpus.csv')}: cannot write the table ({e.strerror or e}); "
                    f"{int((df.status != 'error').sum())} result files are in {_shown(out_dir)}")
    print(_summary(df, in_dir, wall))
    print(f"results: {_shown(out_dir)}/ (table: corpus.csv)")
    errors = df[df.status == "error"]
    for _, r in errors.iterrows():
        print(f"predsense-corpus: error: {_shown(r['error'])}", file=sys.stderr)
    return 2 if len(errors) else 0


if __name__ == "__main__":
    # `python -m predsense.corpus`: the tasks must reference predsense.corpus, not __main__, so that
    # the workers import the module instead of unpickling copies of its functions.
    from predsense.corpus import main as _main
    sys.exit(_main())
