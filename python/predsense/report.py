"""predsense.report: one self-contained HTML page for a run of predsense-video or of any Stream.

The page opens offline (everything is inside it: data, thumbnails, the plotting library, the video
when it is small enough and plays in a browser):

* a zoomable surprise timeline (drag to zoom, double-click or "reset zoom" to go back) with every
  boundary as a marker ``<div class="marker" data-frame="N" data-kind=... data-start=... data-end=...>``
  (a band over [start, end] for a gradual transition); the frame's thumbnail follows the cursor;
  clicking a marker seeks the embedded ``<video>`` to the boundary (the playhead moves), or shows the
  frame's thumbnail when there is no playable video;
* a card per transition: thumbnails before and after, kind, frames, times;
* the memory over time: entries (in the window, pooled 2x2, at full resolution, merged) and frames
  dropped; tokens against the budget;
* the segment table.

The timeline and memory charts use uPlot 1.6.32 (MIT, vendored from the npm registry into
report_assets/ with its licence; scripts/vendor_uplot.sh re-fetches and checks it): a maintained
~50 KB canvas plotting library with drag-zoom and cursor hooks, so this module writes no plotting
code of its own, only the markers laid over it.

Use:
  predsense-video clip.mp4 --report run.html                      (the tool runs this file as a script)
  result = predsense.report.stream_result(stream, frames, fps=25)  (any Stream; tool's JSON schema)
  predsense.report.write_report(result, "run.html", video="clip.mp4" or images=rgb_frames)

Runs as a script too (no compiled module needed): ``python3 report.py RESULT.json OUT.html``, where
RESULT.json is the tool's JSON with "memory_trace" and "decode" ({"map": "0:K", "fps": rate or
null}: how the analysis decoded, so thumbnails are numbered the same way).
"""
import base64
import html
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["write_report", "build_page", "stream_result", "memory_trace_of"]

ASSETS = Path(__file__).resolve().parent / "report_assets"
# codecs and containers a browser plays (Chromium, Firefox): the video is embedded only then
_PLAYABLE_CODECS = {"h264", "vp8", "vp9", "av1", "theora"}
_CONTAINERS = [("webm", "video/webm"), ("matroska", "video/webm"), ("mp4", "video/mp4"), ("mov", "video/mp4"),
               ("ogg", "video/ogg")]


# ---- results of a Stream run ---------------------------------------------------------------------

def memory_trace_of(rows, budget, stride=1):
    """rows: per recorded frame dicts with frame, entries, in_window, pooled, merged, tokens, frames_dropped
    -> the tool's "memory_trace" (parallel arrays)."""
    keys = ["frame", "entries", "in_window", "pooled", "full_resolution", "merged", "tokens", "frames_dropped"]
    out = {"stride": stride, "budget_tokens": budget}
    for k in keys:
        out[k] = [r["entries"] - r["pooled"] if k == "full_resolution" else r[k] for r in rows]
    return out


def _memory_row(memory, frame):
    entries = memory.entries()
    represented = sum(max(1, len(e.get("merged") or ())) for e in entries)
    return {"frame": frame, "entries": len(entries), "in_window": sum(bool(e["in_window"]) for e in entries),
            "pooled": sum(bool(e["compressed"]) for e in entries),
            "merged": sum(len(e.get("merged") or ()) > 1 for e in entries),
            "tokens": sum(int(e["tokens"]) for e in entries),
            "frames_dropped": max(0, int(memory.frames_seen) - represented)}


def stream_result(stream, frames, fps=1.0, times=None, max_trace=4096):
    """Steps ``stream`` (a predsense.Stream) through ``frames`` ((frames, tokens, dim) or (frames, dim))
    and returns the run in predsense-video's JSON schema (fps, frames, surprise, times, boundaries,
    segments, memory_trace; docs/video.md), ready for write_report. Boundaries are the segmenter's,
    decided during the run or at flush(), each with kind "cut" and start = end = frame, as the tool
    reports a surprise segmenter's boundaries. times: seconds of each frame (default frame / fps).
    The memory trace samples stream.memory after every frame (doubling its stride beyond max_trace
    rows); without a memory (or a Python one without entries()) it is absent."""
    if not (fps > 0 and math.isfinite(fps)):
        raise ValueError(f"fps must be a positive finite number, got {fps!r}")
    surprise, cuts, rows, stride = [], [], [], 1
    memory = stream.memory
    traced = memory is not None and hasattr(memory, "entries") and hasattr(memory, "frames_seen")
    for t, f in enumerate(frames):
        r = stream.step(f)
        surprise.append(float(r.surprise))
        if r.boundary is not None:
            cuts.append(int(r.boundary.t))
        if traced and t % stride == 0:
            rows.append(_memory_row(memory, t))
            if len(rows) >= max_trace:
                stride *= 2
                rows = [x for x in rows if x["frame"] % stride == 0]
    cuts += [int(b.t) for b in stream.flush()]
    n = len(surprise)
    if n == 0:
        raise ValueError("frames: empty sequence (no frames to report)")
    times = [t / fps for t in range(n)] if times is None else [float(x) for x in times]
    if len(times) != n:
        raise ValueError(f"times: {len(times)} values for {n} frames")
    cuts = sorted({c for c in cuts if 0 < c < n})
    result = {"fps": fps, "frames": n, "surprise": surprise, "times": times, "boundaries": [], "segments": []}
    for c in cuts:
        result["boundaries"].append({"frame": c, "time": times[c], "surprise": surprise[c], "start": c, "end": c,
                                     "kind": "cut"})
    edges = [0] + cuts + [n]
    for k in range(len(edges) - 1):
        a, b = edges[k], edges[k + 1]
        vals = [surprise[t] for t in range(a, b) if t > 0]
        end_time = times[b] if b < n else times[-1] + 1.0 / fps
        result["segments"].append({"index": k, "start_frame": a, "end_frame": b, "frames": b - a,
                                   "start_time": times[a], "end_time": end_time,
                                   "mean_surprise": sum(vals) / len(vals) if vals else 0.0})
    if traced:
        result["memory_trace"] = memory_trace_of(rows, int(memory.budget) if hasattr(memory, "budget") else 0,
                                                 stride)
    result["pipeline"] = {"predictor": type(stream.predictor).__name__, "metric": str(stream.metric),
                          "segmenter": type(stream.segmenter).__name__}
    return result


# ---- thumbnails and the video ----------------------------------------------------------------------

def _jpeg(rgb, quality=72):
    from PIL import Image  # python3-pil (matplotlib's own dependency)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _probe(video):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "stream=index,codec_type,codec_name,width,height:format=format_name,size", "-of", "json",
                          "--", str(video)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise ValueError(f"{video}: ffprobe cannot read it as a video: {out.stderr.strip()[-300:]}")
    return json.loads(out.stdout)


def _stream_of(probe, map_spec):
    vids = [s for s in probe.get("streams", []) if s.get("codec_type") == "video"]
    if not vids:
        raise ValueError("no video stream")
    if map_spec and map_spec.startswith("0:") and map_spec[2:].isdigit():
        for s in vids:
            if s.get("index") == int(map_spec[2:]):
                return s
    return vids[0]


def thumbnails_from_video(video, wanted, map_spec="0:v:0", fps=None, width=160):
    """{frame: JPEG data URI} for the frames in ``wanted``, decoded the way predsense-video decodes
    (every frame, -fps_mode passthrough; at ``fps`` through ffmpeg's fps filter when given), so frame
    numbers agree with the tool's. ``width`` pixels wide, the source's aspect kept."""
    import numpy as np
    st = _stream_of(_probe(video), map_spec)
    w, h = int(st.get("width") or 16), int(st.get("height") or 9)
    th = max(2, int(round(width * h / max(w, 1) / 2)) * 2)
    vf = (f"fps={fps:.6f}," if fps else "") + f"scale={width}:{th}:flags=area"
    wanted = sorted(set(int(x) for x in wanted))
    if not wanted:
        return {}
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-map", map_spec, "-vf", vf, "-pix_fmt", "rgb24",
           "-fps_mode", "passthrough", "-f", "rawvideo", "-"]
    size = width * th * 3
    out, want, last = {}, set(wanted), wanted[-1]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as p:
        try:
            i = 0
            while i <= last:
                buf = p.stdout.read(size)
                if len(buf) < size:
                    break
                if i in want:
                    out[i] = _jpeg(np.frombuffer(buf, np.uint8).reshape(th, width, 3))
                i += 1
        finally:
            p.kill()
    return out


def thumbnails_from_images(images, wanted, width=160):
    """{frame: JPEG data URI} from RGB frames (frames, H, W, 3) uint8 (or a mapping frame -> HxWx3)."""
    import numpy as np
    from PIL import Image
    out = {}
    for f in sorted(set(int(x) for x in wanted)):
        try:
            a = np.asarray(images[f])
        except (IndexError, KeyError):
            continue
        if a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"images[{f}]: expected an H x W x 3 RGB frame, got shape {a.shape}")
        if a.dtype != np.uint8:
            a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        im = Image.fromarray(a)
        im = im.resize((width, max(2, round(width * a.shape[0] / a.shape[1]))), Image.BILINEAR)
        out[f] = _jpeg(np.asarray(im))
    return out


def video_source(video, max_mb=64.0):
    """(data URI, note): the video embedded when a browser plays its codec and container and it is at
    most max_mb MB; else (None, why not)."""
    try:
        pr = _probe(video)
        st = _stream_of(pr, None)
    except (ValueError, OSError, subprocess.SubprocessError) as e:
        return None, str(e)
    fmt = pr.get("format", {}).get("format_name", "")
    mime = next((m for k, m in _CONTAINERS if k in fmt.split(",")), None)
    if st.get("codec_name") not in _PLAYABLE_CODECS or mime is None:
        return None, f"the video ({st.get('codec_name')} in {fmt}) does not play in a browser: thumbnails only"
    size = os.path.getsize(video)
    if size > max_mb * 1e6:
        return None, f"the video ({size / 1e6:.0f} MB) is larger than {max_mb:g} MB: thumbnails only"
    with open(video, "rb") as f:
        return f"data:{mime};base64," + base64.b64encode(f.read()).decode("ascii"), ""


def _wanted_frames(result, max_thumbs):
    n = int(result["frames"])
    step = max(1, math.ceil(n / max(1, max_thumbs)))
    wanted = set(range(0, n, step))
    for b in result.get("boundaries", []):
        s, e = int(b.get("start", b["frame"])), int(b.get("end", b["frame"]))
        wanted.update({max(0, s - 1), int(b["frame"]), min(n - 1, e if s == e else e + 1)})
    for sg in result.get("segments", []):
        wanted.add((int(sg["start_frame"]) + int(sg["end_frame"]) - 1) // 2)
    return {f for f in wanted if 0 <= f < n}


# ---- the page ----------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;max-width:1200px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:22px 0 6px} .sub{color:#666}
#top{display:flex;gap:16px;align-items:flex-start} #player video,#player img{width:480px;max-width:100%;background:#000}
#player .note{color:#a60;font-size:12px;max-width:480px} #summary td{padding:1px 8px 1px 0}
.chart{position:relative} .marker{position:absolute;top:0;bottom:0;min-width:3px;margin-left:-1px;cursor:pointer;
 background:rgba(214,39,40,.55);z-index:5} .marker.gradual{background:rgba(255,127,14,.30);border-left:2px solid #ff7f0e}
.marker:hover,.marker.sel{background:rgba(214,39,40,.9)} #playhead{position:absolute;top:0;bottom:0;width:2px;
 background:#2ca02c;z-index:6;pointer-events:none} #hover{position:fixed;display:none;background:#fff;border:1px solid #999;
 padding:3px;font-size:12px;z-index:20;pointer-events:none;box-shadow:0 1px 4px rgba(0,0,0,.3)} #hover img{display:block;width:160px}
#cards{display:flex;flex-wrap:wrap;gap:10px} .card{border:1px solid #ccc;border-radius:4px;padding:6px;cursor:pointer;font-size:12px}
.card.sel{border-color:#d62728;box-shadow:0 0 0 2px #d62728} .card img{width:120px;display:inline-block;margin-right:2px;background:#eee;min-height:20px}
.card .kind{font-weight:600} table.seg{border-collapse:collapse;font-size:12px} table.seg td,table.seg th{border:1px solid #ddd;padding:2px 6px;text-align:right}
table.seg img{width:80px;display:block} button{font-size:12px}
"""

_JS = r"""
(function(){
const D = JSON.parse(document.getElementById('predsense-data').textContent);
const T = D.times, S = D.surprise, n = D.frames, B = D.boundaries || [], TH = D.thumbs || {};
const thumbKeys = Object.keys(TH).map(Number).sort((a,b)=>a-b);
const video = document.getElementById('video'), viewer = document.getElementById('viewer');
let videoOk = !!video;
function tc(s){ const ms=Math.round(Math.max(0,s)*1000), h=Math.floor(ms/3600000), m=Math.floor(ms/60000)%60,
  x=Math.floor(ms/1000)%60, r=ms%1000; const p=(v,w)=>String(v).padStart(w,'0'); return p(h,2)+':'+p(m,2)+':'+p(x,2)+'.'+p(r,3); }
function nearestThumb(f){ if(!thumbKeys.length) return null; let lo=0,hi=thumbKeys.length-1;
  while(lo<hi){ const mid=(lo+hi+1)>>1; if(thumbKeys[mid]<=f) lo=mid; else hi=mid-1; }
  let k=thumbKeys[lo]; if(lo+1<thumbKeys.length && Math.abs(thumbKeys[lo+1]-f)<Math.abs(k-f)) k=thumbKeys[lo+1]; return k; }
function timeOf(f){ return T[Math.max(0,Math.min(n-1,f))]; }
function width(el){ return Math.max(300, el.clientWidth || 900); }
// ---- the surprise timeline ----
const tlEl = document.getElementById('timeline'), hover = document.getElementById('hover');
const hoverImg = hover.querySelector('img'), hoverTxt = hover.querySelector('span');
let curT = 0;
const tl = new uPlot({width: width(tlEl), height: 240, scales: {x: {time: false}},
  series: [{label: 'time (s)'}, {label: 'surprise', stroke: '#1f77b4', width: 1}],
  axes: [{label: 'seconds'}, {label: 'surprise'}], cursor: {drag: {x: true, y: false}, points: {show: false}},
  legend: {show: false},
  hooks: {draw: [placeMarkers], setCursor: [u => {
    const i = u.cursor.idx; if (i == null || u.cursor.left < 0) { hover.style.display = 'none'; return; }
    showHover(i, u.over.getBoundingClientRect().left + u.cursor.left, u.over.getBoundingClientRect().top + u.cursor.top); }]}},
  [T, S], tlEl);
tl.over.addEventListener('mouseleave', () => hover.style.display = 'none');
function showHover(f, x, y){ const k = nearestThumb(f); hoverImg.style.display = k == null ? 'none' : 'block';
  if (k != null) hoverImg.src = TH[k];
  hoverTxt.textContent = 'frame ' + f + ' · ' + tc(T[f]) + ' · surprise ' + S[f].toFixed(4);
  hover.style.display = 'block'; hover.style.left = (x + 14) + 'px'; hover.style.top = (y + 14) + 'px'; }
const markers = B.map((b, i) => { const m = document.createElement('div');
  const gradual = b.start !== b.end; m.className = 'marker' + (gradual ? ' gradual' : '');
  m.dataset.frame = b.frame; m.dataset.kind = b.kind; m.dataset.start = b.start; m.dataset.end = b.end;
  m.dataset.time = T[b.frame];
  m.title = b.kind + ' at frame ' + b.frame + ' (' + tc(T[b.frame]) + ')' + (gradual ? ', frames ' + b.start + '-' + b.end : '');
  m.addEventListener('mousedown', e => e.stopPropagation());
  m.addEventListener('mousemove', e => { e.stopPropagation(); showHover(b.frame, e.clientX, e.clientY); });
  m.addEventListener('click', e => { e.stopPropagation(); seek(b.frame, i); });
  tl.over.appendChild(m); return m; });
const playhead = document.createElement('div'); playhead.id = 'playhead'; tl.over.appendChild(playhead);
function placeMarkers(u){ const xmin = u.scales.x.min, xmax = u.scales.x.max;
  B.forEach((b, i) => { const m = markers[i]; if (!m) return; const a = T[b.start], z = T[b.end];
    if (z < xmin || a > xmax) { m.style.display = 'none'; return; }
    m.style.display = 'block'; const x0 = u.valToPos(Math.max(a, xmin), 'x'), x1 = u.valToPos(Math.min(z, xmax), 'x');
    m.style.left = x0 + 'px'; m.style.width = Math.max(3, x1 - x0) + 'px'; });
  placePlayhead(); }
function placePlayhead(){ const u = tl; if (curT < u.scales.x.min || curT > u.scales.x.max) { playhead.style.display = 'none'; return; }
  playhead.style.display = 'block'; playhead.style.left = u.valToPos(curT, 'x') + 'px'; playhead.dataset.time = curT; }
document.getElementById('reset').addEventListener('click', () => tl.setScale('x', {min: T[0], max: T[n - 1]}));
// ---- seeking ----
function showFrame(f){ const k = nearestThumb(f); if (viewer && k != null) { viewer.src = TH[k]; viewer.dataset.frame = k; } }
function seek(f, i){ curT = timeOf(f); placePlayhead();
  document.querySelectorAll('.sel').forEach(e => e.classList.remove('sel'));
  if (i != null) { markers[i] && markers[i].classList.add('sel'); const c = document.querySelector('.card[data-index="' + i + '"]'); c && c.classList.add('sel'); }
  if (videoOk) { video.pause(); video.currentTime = curT + 0.001; } else showFrame(f);
  document.getElementById('at').textContent = 'frame ' + f + ' · ' + tc(curT); }
if (video) {
  const fallback = () => { videoOk = false; video.style.display = 'none'; viewer.style.display = 'block';
    const note = document.getElementById('vnote'); note.textContent = 'the browser cannot play this video: thumbnails only'; showFrame(0); };
  video.addEventListener('error', fallback); if (video.error) fallback();
  video.addEventListener('timeupdate', () => { curT = video.currentTime; placePlayhead(); });
  video.addEventListener('seeked', () => { curT = video.currentTime; placePlayhead(); });
} else showFrame(0);
document.querySelectorAll('.card').forEach(c => c.addEventListener('click', () => seek(+c.dataset.frame, +c.dataset.index)));
document.querySelectorAll('tr[data-frame]').forEach(r => r.addEventListener('click', () => seek(+r.dataset.frame, null)));
// ---- memory over time ----
const M = D.memory_trace;
if (M && M.frame && M.frame.length) {
  const mx = M.frame.map(f => T[f]);
  const e1 = document.getElementById('mem-entries'), e2 = document.getElementById('mem-tokens');
  const sync = {key: 'predsense-x', setSeries: false};
  new uPlot({width: width(e1), height: 200, scales: {x: {time: false}}, cursor: {sync: sync},
    series: [{label: 'time (s)'}, {label: 'entries', stroke: '#222', width: 1.5}, {label: 'in window', stroke: '#17becf'},
      {label: 'pooled 2x2', stroke: '#9467bd'}, {label: 'full resolution', stroke: '#2ca02c'}, {label: 'merged', stroke: '#ff7f0e'},
      {label: 'frames dropped', stroke: '#d62728', dash: [4, 3]}],
    axes: [{label: 'seconds'}, {label: 'entries / frames'}]},
    [mx, M.entries, M.in_window, M.pooled, M.full_resolution, M.merged, M.frames_dropped], e1);
  const budget = M.frame.map(() => M.budget_tokens);
  const longTerm = M.tokens.map((t, i) => t);
  new uPlot({width: width(e2), height: 180, scales: {x: {time: false}}, cursor: {sync: sync},
    series: [{label: 'time (s)'}, {label: 'tokens held', stroke: '#1f77b4', width: 1.5, fill: 'rgba(31,119,180,.08)'},
      {label: 'long-term budget', stroke: '#d62728', dash: [6, 4]}],
    axes: [{label: 'seconds'}, {label: 'tokens', size: 60}]}, [mx, longTerm, budget], e2);
} else document.getElementById('memory-note').textContent = 'no memory trace in this run';
window.predsenseReport = {timeline: tl, seek: seek, data: D};
document.body.dataset.ready = '1';
})();
"""


def _fmt_tc(s):
    ms = round(max(0.0, float(s)) * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def build_page(result, thumbs=None, video_uri=None, video_note="", title=None):
    """The HTML text of the page for ``result`` (the tool's JSON schema, optionally with
    "memory_trace"), thumbnails {frame: data URI} and the video as a data URI (None: thumbnails only)."""
    for key in ("frames", "surprise", "times"):
        if key not in result:
            raise ValueError(f"result: missing {key!r} (expected predsense-video's JSON schema, docs/video.md)")
    n = int(result["frames"])
    if n <= 0 or len(result["surprise"]) != n or len(result["times"]) != n:
        raise ValueError(f"result: frames = {n} but {len(result['surprise'])} surprise values and "
                         f"{len(result['times'])} times")
    for b in result.get("boundaries", []):
        if not (0 <= int(b["frame"]) < n):
            raise ValueError(f"result: boundary frame {b['frame']} outside [0, {n})")
    thumbs = {int(k): v for k, v in (thumbs or {}).items()}
    data = dict(result)
    data["thumbs"] = {str(k): v for k, v in sorted(thumbs.items())}
    data_json = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    esc = html.escape
    name = result.get("input") or result.get("features") or "stream"
    title = title or f"predsense: {Path(str(name)).name}"
    pipe = result.get("pipeline") or {}
    bs = result.get("boundaries", [])
    img = lambda f, cls="": (f'<img class="{cls}" data-frame="{f}" src="{thumbs[f]}" alt="frame {f}">'
                             if f in thumbs else f'<img class="{cls}" alt="frame {f}: no thumbnail">')
    cards = []
    for i, b in enumerate(bs):
        s, e, f = int(b.get("start", b["frame"])), int(b.get("end", b["frame"])), int(b["frame"])
        before, after = max(0, s - 1), min(n - 1, e if s == e else e + 1)
        t = result["times"]
        span = f"frame {f}" if s == e else f"frames {s}-{e} (at {f})"
        cards.append(f'<div class="card" data-index="{i}" data-frame="{f}">{img(before, "before")}{img(after, "after")}'
                     f'<div><span class="kind">{esc(str(b.get("kind", "cut")))}</span> · {span}<br>'
                     f'{_fmt_tc(t[s])} – {_fmt_tc(t[e])} · surprise {float(result["surprise"][f]):.4f}</div></div>')
    kinds = {int(b["frame"]): str(b.get("kind", "cut")) for b in bs}
    rows = []
    for sg in result.get("segments", []):
        a, z = int(sg["start_frame"]), int(sg["end_frame"])
        rows.append(f'<tr data-frame="{a}"><td>{int(sg["index"])}</td><td>{a}</td><td>{z}</td><td>{z - a}</td>'
                    f'<td>{_fmt_tc(sg["start_time"])}</td><td>{_fmt_tc(sg["end_time"])}</td>'
                    f'<td>{float(sg["mean_surprise"]):.4f}</td><td>{esc(kinds.get(a, "") if a > 0 else "")}</td>'
                    f'<td>{img((a + z - 1) // 2)}</td></tr>')
    mem = result.get("memory") or {}
    summary = [("frames", f'{n} at {float(result.get("fps", 0)):.3f} fps'),
               ("boundaries", str(len(bs))),
               ("pipeline", ", ".join(f"{k} {v}" for k, v in pipe.items() if v)),
               ("memory", f'{mem.get("tokens", "?")} tokens of {mem.get("tokens_full_resolution", "?")} at full '
                          f'resolution, budget {mem.get("budget_tokens", "?")}' if mem else "")]
    player = (f'<video id="video" controls preload="auto" src="{video_uri}"></video>'
              f'<img id="viewer" style="display:none" alt="frame">' if video_uri else '<img id="viewer" alt="frame">')
    js = (ASSETS / "uPlot.iife.min.js").read_text(encoding="utf-8")
    css = (ASSETS / "uPlot.min.css").read_text(encoding="utf-8")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<link rel="icon" href="data:,">
<!-- uPlot 1.6.32 (MIT licence, (c) Leon Sorokin; predsense/report_assets/LICENSE.uPlot) -->
<style>{css}</style><style>{_CSS}</style></head>
<body>
<h1>{esc(title)}</h1>
<div id="top"><div id="player">{player}<div class="note" id="vnote">{esc(video_note)}</div><div id="at" class="sub"></div></div>
<table id="summary">{"".join(f"<tr><td class=sub>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in summary if v)}</table></div>
<h2>Surprise and boundaries</h2>
<div class="sub">drag to zoom, double-click or <button id="reset">reset zoom</button>; hover for the frame; click a boundary to go there</div>
<div id="timeline" class="chart"></div>
<div id="hover"><img alt=""><span></span></div>
<h2>Transitions ({len(bs)})</h2>
<div id="cards">{"".join(cards) or '<div class="sub">no boundary found</div>'}</div>
<h2 id="memory">Memory over time</h2>
<div class="sub" id="memory-note">entries by kind and frames dropped; tokens held against the long-term budget</div>
<div id="mem-entries" class="chart"></div><div id="mem-tokens" class="chart"></div>
<h2>Segments ({len(rows)})</h2>
<table class="seg" id="segments"><tr><th>#</th><th>start</th><th>end</th><th>frames</th><th>start</th><th>end</th>
<th>mean surprise</th><th>opened by</th><th>middle frame</th></tr>{"".join(rows)}</table>
<script type="application/json" id="predsense-data">{data_json}</script>
<script>{js}</script>
<script>{_JS}</script>
</body></html>
"""


def _atomic_write(path, text):
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{path}: directory '{parent}' does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not an output file")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would create it (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_report(result, path, video=None, images=None, map_spec=None, decode_fps=None, embed_video=True,
                 max_video_mb=64.0, max_thumbs=240, thumb_width=160, title=None):
    """Writes the page for ``result`` (predsense-video's JSON as a dict, or stream_result's) to ``path``
    atomically (a temporary file renamed into place; nothing is left on failure).

    video: the source file: thumbnails are decoded from it (map_spec / decode_fps as the tool decoded:
    by default result["decode"], else the first video stream at its own rate) and it is embedded when
    embed_video, a browser plays it and it is at most max_video_mb MB. images: RGB frames instead
    ((frames, H, W, 3) or a mapping frame -> H x W x 3). Thumbnails: every boundary's frames before,
    at and after it, every segment's middle frame and up to max_thumbs frames evenly spread for the
    hover. Raises ValueError (a malformed result, an unreadable video), FileNotFoundError (missing
    output directory); ``path`` may not be the video."""
    if video is not None:
        if not Path(video).is_file():
            raise FileNotFoundError(f"{video}: no such video file")
        if Path(path).exists() and os.path.samefile(path, video):
            raise ValueError(f"{path}: is the input video; refusing to overwrite it")
    dec = result.get("decode") or {}
    map_spec = map_spec or dec.get("map") or "0:v:0"
    decode_fps = decode_fps if decode_fps is not None else dec.get("fps")
    wanted = _wanted_frames(result, max_thumbs)
    thumbs, uri, note = {}, None, ""
    if video is not None:
        if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
            raise ValueError("the report's thumbnails need ffmpeg and ffprobe (apt-get install ffmpeg)")
        thumbs = thumbnails_from_video(video, wanted, map_spec, decode_fps, thumb_width)
        if embed_video:
            uri, note = video_source(video, max_video_mb)
        else:
            note = "video not embedded: thumbnails only"
    elif images is not None:
        thumbs = thumbnails_from_images(images, wanted, thumb_width)
        note = "no video: thumbnails only"
    else:
        note = "no video or images given: no thumbnails"
    _atomic_write(path, build_page(result, thumbs, uri, note, title))
    return Path(path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: report.py RESULT.json OUT.html", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            result = json.load(f)
        video = result.get("input")
        write_report(result, argv[1], video=video if video and Path(video).is_file() else None)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
