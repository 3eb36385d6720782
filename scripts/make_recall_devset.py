#!/usr/bin/env python3
"""Sources of the real-footage recall development set (predsense-memory-recall --devset DIR).

Everything comes from Debian packages (installed by scripts/install-deps.sh --recall, or by hand:
apt-get install opencv-doc python3-skimage python3-pil ffmpeg):
  rooms    - photographs, centre-cropped to 384 x 384: OpenCV's sample images (opencv-doc, BSD/
             public test images) and scikit-image's data images (python3-skimage, CC0/public
             domain per skimage/data/README.txt); the tool's virtual camera pans and zooms over them.
  clips    - moving footage for distractors: OpenCV's sample videos (vtest.avi, Megamind.avi,
             tree.avi), decoded by ffmpeg to 128 x 128 frames.
  objects  - the needles: photographs of single objects (apple, orange, butterfly, a cat's head,
             the OpenCV logo, a rocket, a coffee cup) cut out with an elliptical alpha mask, 96 x 96.
Written to DIR: rooms.u8 (R x 384 x 384 x 3), clips.u8 (F x 128 x 128 x 3, clip boundaries in the
manifest), objects.u8 (O x 96 x 96 x 4, RGBA), manifest.json (shapes, sources). ~60 MB, a few seconds.

  /usr/bin/python3 scripts/make_recall_devset.py build/recall_devset
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

CV = Path("/usr/share/doc/opencv-doc/examples/data")
SKI = Path("/usr/lib/python3/dist-packages/skimage/data")
ROOMS = [CV / n for n in ("home.jpg", "building.jpg", "fruits.jpg", "baboon.jpg", "messi5.jpg", "starry_night.jpg",
                          "stuff.jpg", "board.jpg", "aero1.jpg", "leuvenA.jpg", "graf1.png", "smarties.png",
                          "blox.jpg", "box_in_scene.png", "left01.jpg", "pic1.png", "basketball1.png",
                          "rubberwhale1.png", "aloeL.jpg", "squirrel_cls.jpg")] + \
        [SKI / n for n in ("astronaut.png", "coffee.png", "chelsea.png", "motorcycle_left.png", "hubble_deep_field.jpg",
                           "immunohistochemistry.png" if (SKI / "immunohistochemistry.png").exists() else "ihc.png",
                           "gravel.png", "brick.png", "grass.png", "camera.png")]
CLIPS = [CV / "vtest.avi", CV / "Megamind.avi", CV / "tree.avi"]
# (file, crop box as fractions x0, y0, x1, y1 of the image): the object fills the box
OBJECTS = [(CV / "apple.jpg", (0.1, 0.1, 0.9, 0.9)), (CV / "orange.jpg", (0.1, 0.1, 0.9, 0.9)),
           (CV / "butterfly.jpg", (0.15, 0.1, 0.85, 0.9)), (SKI / "chelsea.png", (0.25, 0.05, 0.7, 0.75)),
           (CV / "opencv-logo.png", (0.0, 0.0, 1.0, 1.0)), (SKI / "rocket.jpg", (0.35, 0.05, 0.65, 0.95)),
           (SKI / "coffee.png", (0.15, 0.05, 0.85, 0.85))]
ROOM_SIDE, FRAME_SIDE, OBJ_SIDE = 384, 128, 96


def square(img: Image.Image, side: int) -> np.ndarray:
    img = img.convert("RGB")
    w, h = img.size
    s = min(w, h)
    img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    return np.asarray(img.resize((side, side), Image.BILINEAR), dtype=np.uint8)


def cutout(path: Path, box) -> np.ndarray:
    img = Image.open(path).convert("RGB")
    w, h = img.size
    img = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    rgb = np.asarray(img.resize((OBJ_SIDE, OBJ_SIDE), Image.BILINEAR), dtype=np.uint8)
    y, x = np.mgrid[0:OBJ_SIDE, 0:OBJ_SIDE]
    c = (OBJ_SIDE - 1) / 2
    r2 = ((x - c) / (0.48 * OBJ_SIDE)) ** 2 + ((y - c) / (0.48 * OBJ_SIDE)) ** 2
    alpha = np.clip((1.0 - r2) * 8.0, 0.0, 1.0)  # an ellipse with a soft edge
    return np.dstack([rgb, (alpha * 255).astype(np.uint8)])


def decode(path: Path) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"scale={FRAME_SIDE}:{FRAME_SIDE}",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, FRAME_SIDE, FRAME_SIDE, 3)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    missing = [str(p) for p in ROOMS + CLIPS + [o for o, _ in OBJECTS] if not p.exists()]
    if missing:
        print("make_recall_devset: missing " + ", ".join(missing) +
              " (apt-get install opencv-doc python3-skimage python3-pil ffmpeg)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    rooms = np.stack([square(Image.open(p), ROOM_SIDE) for p in ROOMS])
    clips = [decode(p) for p in CLIPS]
    objects = np.stack([cutout(p, b) for p, b in OBJECTS])
    for name, a in (("rooms", rooms), ("clips", np.concatenate(clips)), ("objects", objects)):
        tmp = out / f"{name}.u8.tmp"
        a.tofile(tmp)
        tmp.replace(out / f"{name}.u8")
    manifest = {
        "rooms": {"shape": list(rooms.shape), "sources": [str(p) for p in ROOMS]},
        "clips": {"shape": [sum(len(c) for c in clips), FRAME_SIDE, FRAME_SIDE, 3],
                  "lengths": [len(c) for c in clips], "sources": [str(p) for p in CLIPS]},
        "objects": {"shape": list(objects.shape), "sources": [str(p) for p, _ in OBJECTS]},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{out}: {rooms.shape[0]} rooms, {len(clips)} clips ({manifest['clips']['shape'][0]} frames), "
          f"{objects.shape[0]} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
