"""A transcription of the Cambrian-S VSR memory logic, on per-frame surprises and token counts.

This mirrors the reference loop step for step, on plain Python lists (the reference keeps lists of
KV tensors; here an entry is its surprise score, its token count and the frames merged into it):

* a runtime cache ``[text, frame, frame, ...]``; after a frame is appended, if it holds more than
  ``window + 1`` entries (and ``window > 0``), the entry at index 1 (the oldest frame) leaves;
* a leaving frame is pooled ``ratio x ratio`` (torch avg_pool2d: floor) when ``ratio > 1`` and its
  surprise ``< threshold``, then appended to the global cache, which is then consolidated;
* consolidation returns at once if ``sum(lengths) <= budget``; ``drop`` evicts
  ``argmin(scores[1:]) + 1`` (first minimum) until within budget; ``drop_merge`` first walks
  ``index = 1 .. len - 2`` merging ``index`` with ``index + 1`` while both scores are
  ``>= threshold`` (score and tensors averaged pairwise, length of the left one kept, the same
  index retried), then evicts like ``drop`` and after each eviction merges the two entries that
  became neighbours if ``index > 0``, the right one exists, and both are ``>= threshold``;
* at the end of the stream every runtime frame (index 1 on) is compressed and appended the same
  way, each followed by a consolidation.

It deliberately keeps the reference's O(n) scans: it is the yardstick, not an implementation.
"""

from __future__ import annotations

import numpy as np


def _pooled(grid, ratio):
    rows, cols = grid
    return (rows // ratio, cols // ratio)


def _consolidate(cache, threshold, method, budget):
    scores, lengths, frames = cache["scores"], cache["lengths"], cache["frames"]
    if sum(lengths) <= budget:
        return

    def pop(i):
        for key in ("scores", "lengths", "frames", "grids", "compressed"):
            cache[key].pop(i)

    def merge(i):
        scores[i] = (scores[i] + scores[i + 1]) / 2.0
        frames[i] = frames[i] + frames[i + 1]
        pop(i + 1)

    def argmin_tail():
        return int(np.array(scores[1:]).argmin())  # the first minimum, as in the reference

    if method == "drop_merge":
        index = 1
        while index < len(scores) - 1:
            if scores[index] >= threshold and scores[index + 1] >= threshold:
                merge(index)
                index -= 1
            index += 1
        while sum(lengths) > budget:
            index = argmin_tail()
            pop(index + 1)
            if (0 < index < len(scores) - 1 and scores[index] >= threshold
                    and scores[index + 1] >= threshold):
                merge(index)
    elif method == "drop":
        while sum(lengths) > budget:
            index = argmin_tail()
            pop(index + 1)
    else:
        raise NotImplementedError(method)


def _append(cache, score, length, frames, grid, compressed):
    cache["scores"].append(score)
    cache["lengths"].append(length)
    cache["frames"].append(frames)
    cache["grids"].append(grid)
    cache["compressed"].append(compressed)


def replay(surprise, threshold, budget, window=32, method="drop_merge", grid=(8, 8), ratio=2,
           prompt_tokens=16, flush=True):
    """Runs the reference loop; returns {"entries": [...], "window": [...]} like the CLI does."""
    grid = tuple(grid)
    tokens = grid[0] * grid[1]
    glob = {"scores": [], "lengths": [], "frames": [], "grids": [], "compressed": []}
    runtime = {"scores": [], "lengths": [], "frames": [], "grids": [], "compressed": []}
    _append(glob, 1.0, prompt_tokens, [], (1, prompt_tokens), False)
    _append(runtime, 1.0, prompt_tokens, [], (1, prompt_tokens), False)

    def leave(score, length, frames, g):
        compressed = False
        if ratio > 1 and score < threshold:
            g = _pooled(g, ratio)
            length = g[0] * g[1]
            compressed = True
        _append(glob, score, length, frames, g, compressed)
        _consolidate(glob, threshold, method, budget)

    for t, s in enumerate(surprise):
        _append(runtime, float(s), tokens, [t], grid, False)
        if window > 0 and len(runtime["scores"]) > window + 1:
            score = runtime["scores"].pop(1)
            length = runtime["lengths"].pop(1)
            frames = runtime["frames"].pop(1)
            g = runtime["grids"].pop(1)
            runtime["compressed"].pop(1)
            leave(score, length, frames, g)
    if flush:
        for i in range(1, len(runtime["scores"])):
            leave(runtime["scores"][i], runtime["lengths"][i], runtime["frames"][i], runtime["grids"][i])
        del runtime["scores"][1:], runtime["lengths"][1:], runtime["frames"][1:]
        del runtime["grids"][1:], runtime["compressed"][1:]

    def rows(cache, start, protected_first):
        out = []
        for i in range(start, len(cache["scores"])):
            out.append({
                "frames": cache["frames"][i],
                "tokens": cache["lengths"][i],
                "surprise": cache["scores"][i],
                "grid": list(cache["grids"][i]),
                "compressed": cache["compressed"][i],
                "protected": protected_first and i == 0,
            })
        return out

    return {"entries": rows(glob, 0, True), "window": rows(runtime, 1, False)}
