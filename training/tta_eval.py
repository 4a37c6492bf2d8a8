"""Multi-crop test-time augmentation of the shipped model on PublicTest (session 10; measured, not kept): the centre
40x40 crop and its mirror (what Mien does) against 5 or 9 shifted 40x40 crops of the 48x48 face, each with its mirror.

    python training/tta_eval.py
"""
import sys, numpy as np, onnxruntime as ort
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from data import load_splits
pub = load_splits(None, names=("PublicTest",))["PublicTest"]
v = pub.ferplus_valid; px = pub.pixels[v]; y = pub.ferplus_major[v]
sess = ort.InferenceSession(str(__import__("pathlib").Path(__file__).resolve().parent.parent / "Models" / "expression.onnx"))
def run(x):
    x = ((x.astype(np.float32) / 255.0 - 0.5077) / 0.255)[:, None]
    return sess.run(["ferplus"], {"input": x})[0]
def views(offsets):
    z = 0
    for dx, dy in offsets:
        c = px[:, dy:dy + 40, dx:dx + 40]
        z = z + run(c) + run(c[..., ::-1].copy())
    return z / (2 * len(offsets))
def score(z):
    p = z.argmax(1); rec = [((p == c) & (y == c)).sum() / max(1, (y == c).sum()) for c in range(8)]
    return round(100 * (p == y).mean(), 2), round(100 * np.mean(rec), 2)
print("centre+flip", score(views([(4, 4)])))
print("5 crops (±2) +flip", score(views([(4, 4), (2, 2), (6, 2), (2, 6), (6, 6)])))
print("5 crops (±4) +flip", score(views([(4, 4), (0, 0), (8, 0), (0, 8), (8, 8)])))
print("9 crops (±2 grid) +flip", score(views([(a, b) for a in (2, 4, 6) for b in (2, 4, 6)])))
