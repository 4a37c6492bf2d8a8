"""Compares the Python port (features.py) with Swift's own export: segment boundaries and log-mel values."""
import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

import features

directory = Path(sys.argv[1] if len(sys.argv) > 1 else "training/cache/voice_features")
recipe = json.loads((directory / "recipe.json").read_text())
n = recipe["n_mels"]
data = np.fromfile(directory / "logmel.f32", dtype=np.float32)
swift = {}
for line in (directory / "index.jsonl").read_text().splitlines():
    try:
        r = json.loads(line)
    except json.JSONDecodeError:
        continue
    if (r["offset"] + r["frames"] * n) <= len(data):
        swift.setdefault(r["file"], []).append(r)
same, worst, clips = 0, 0.0, 0
for path, rows in swift.items():
    x, sr = sf.read(path, dtype="float32")
    py = features.clip_segments(x, recipe)
    bounds_swift = [(r["start_frame"], r["frames"]) for r in rows]
    bounds_py = [(s, len(m)) for s, m in py]
    clips += 1
    if bounds_swift == bounds_py:
        same += 1
        for r, (_, m) in zip(rows, py):
            sw = data[r["offset"]: r["offset"] + r["frames"] * n].reshape(r["frames"], n)
            worst = max(worst, float(np.abs(sw - m).max()))
    else:
        print("boundaries differ", path, bounds_swift, bounds_py)
print(json.dumps({"clips": clips, "same_segments": same, "max_abs_logmel_diff": worst}))
