"""A video -> torch features -> surprise -> events -> memory under a budget -> top-k retrieval -> a plot.

    PYTHONPATH=build-py/python /usr/bin/python3 python/examples/video_to_memory.py [video] [--plot out.png]

Needs python3-opencv (reading the video), python3-torch and python3-matplotlib. The features are a
seeded random ViT-style patch stem (32x32 patches -> 49 tokens x 256 dims), standing in for a real
vision encoder (no weights are downloaded); predsense takes the torch tensor without a copy.
"""
import sys, cv2, numpy as np, torch  # noqa: E401
import matplotlib.pyplot as plt
import predsense as ps

args = sys.argv[1:]  # [video] [--plot out.png]
out = args.pop(args.index("--plot") + 1) if "--plot" in args[:-1] else "video_to_memory.png"
path = next((a for a in args if a != "--plot"), "/usr/share/doc/opencv-doc/examples/data/Megamind.avi")

cap, frames = cv2.VideoCapture(path), []
while (got := cap.read())[0]:
    frames.append(cv2.resize(got[1], (224, 224)))
fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
video = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255  # (N, 3, 224, 224)
torch.manual_seed(0)  # (N, 49, 256) float32: 49 tokens of 256 dims per frame
feats = torch.nn.Conv2d(3, 256, 32, stride=32)(video).detach().flatten(2).transpose(1, 2).contiguous()

memory = ps.MemoryStore(threshold=0.05, window=8, budget=2048)  # Cambrian-S memory, 2048 tokens
# events: hard cuts, by a rule relative to this encoder's own surprise (no setting depends on its scale)
stream = ps.Stream(segmenter=ps.CutSegmenter(), memory=memory)
surprise, events = stream.run(feats)  # torch in, C++ loop, numpy out
memory.flush()
query = feats[events[len(events) // 2] if len(events) else -1]  # "find the scene that looks like this"
hits = memory.retrieve(query, k=3)

print(f"{len(frames)} frames ({len(frames) / fps:.1f} s), events at {[round(e / fps, 1) for e in events]} s\n"
      f"memory: {memory.tokens} tokens in {len(memory)} entries; top-3 frames {[h['frame'] for h in hits]}")
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(np.arange(1, len(surprise)) / fps, surprise[1:], lw=1, label="surprise")
ax.vlines(events / fps, 0, surprise[1:].max(), colors="r", lw=0.8, label="events")
ax.plot([h["frame"] / fps for h in hits], [surprise[h["frame"]] for h in hits], "g^", label="retrieved")
ax.set(xlabel="seconds", yscale="log"), ax.legend(fontsize=8), fig.tight_layout(), fig.savefig(out, dpi=110)
