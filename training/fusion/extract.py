"""Features for the blendshapes-beside-the-image experiment (issue 16): for every FER2013 face, the shipped expression
model's FER+ logits (flip-averaged, as Mien classifies) and the 52 blendshapes of Mien's face mesh, both from the
committed ONNX files in OpenCV DNN; PublicTest and PrivateTest also under five fixed shifts of the 48-pixel face.

    .venv-train/bin/python training/fusion/extract.py --out training/fusion/cache    # ~20 min on one core

The mesh crop is meshcrop.py's rule from FER2013's framing (AlignmentTemplate.ferFraming: eyes at (0.3217, 0.3857)
and (0.6783, 0.3857), mouth centre at (0.5, 0.7655) of the side): a 63-pixel square around a 48-pixel face, so the
border is replicated as meshcrop.crop does off-image.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "facemesh"))
import augment  # noqa: E402
import finetune  # noqa: E402
import meshcrop  # noqa: E402
from data import REPO, load_splits  # noqa: E402

S = 48
KEYPOINTS = np.array([[0.3217 * S, 0.3857 * S], [0.6783 * S, 0.3857 * S], [0.5 * S, 0.5812 * S], [0.5 * S, 0.7655 * S]])


def shifts48(u8: np.ndarray) -> dict[str, np.ndarray]:
    """finetune.fixed_shifts on the whole 48-pixel frame (sizes scaled by 48/40), uint8."""
    x = torch.from_numpy(u8).float().unsqueeze(1) / 255
    n = len(x)
    g = torch.Generator().manual_seed(7)
    out = {
        "blur2": finetune._blur(x, torch.full((n,), 2.0)),
        "small18": finetune._small(x, torch.full((n,), 22, dtype=torch.long)),
        "noise25": (x + torch.randn(x.shape, generator=g) * 25 / 255).clamp(0, 1),
        "jpeg10": finetune._jpeg(x, torch.full((n,), 10)),
        "lower35": torch.where(torch.arange(S).view(1, 1, S, 1) >= 30, torch.tensor(0.5), x),
    }
    return {k: (v.clamp(0, 1) * 255).round().to(torch.uint8).squeeze(1).numpy() for k, v in out.items()}


def features(u8: np.ndarray, expr, mesh, blend) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits (N,8), blendshapes (N,52), mesh presence (N,)) for (N,48,48) uint8 faces."""
    x = augment.centre_view(torch.from_numpy(u8)).numpy()
    z = []
    for i in range(0, len(x), 256):
        b = x[i:i + 256]
        expr.setInput(np.ascontiguousarray(b))
        a = expr.forward("ferplus")
        expr.setInput(np.ascontiguousarray(b[:, :, :, ::-1]))
        z.append((a + expr.forward("ferplus")) / 2)
    m = meshcrop.crop_matrix(KEYPOINTS)
    back = meshcrop.continuous_inverse(m)
    bs, pres = np.zeros((len(u8), 52), np.float32), np.zeros(len(u8), np.float32)
    for i, face in enumerate(u8):
        rgb = cv2.warpAffine(cv2.cvtColor(face, cv2.COLOR_GRAY2RGB), m, (meshcrop.N, meshcrop.N),
                             flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        mesh.setInput(np.ascontiguousarray((rgb.astype(np.float32) / 255).transpose(2, 0, 1)[None]), "input")
        lm, pr = mesh.forward(["landmarks", "presence"])
        pts = meshcrop.to_image(lm.reshape(-1, 3)[:, :2], back)
        blend.setInput(pts[meshcrop.BLEND_INDICES].astype(np.float32).reshape(1, -1, 1, 1), "points")
        bs[i] = blend.forward("blendshapes").reshape(-1)
        pres[i] = 1 / (1 + np.exp(-float(pr.reshape(-1)[0])))
    return np.concatenate(z), bs, pres


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "cache")
    ap.add_argument("--splits", nargs="+", default=["PublicTest", "PrivateTest", "Training"])
    a = ap.parse_args()
    cv2.setNumThreads(1)
    a.out.mkdir(parents=True, exist_ok=True)
    models = REPO / "Models"
    expr = cv2.dnn.readNetFromONNX(str(models / "expression.onnx"))
    mesh = cv2.dnn.readNetFromONNX(str(models / "face_landmarks_478.onnx"))
    blend = cv2.dnn.readNetFromONNX(str(models / "face_blendshapes.onnx"))
    splits = load_splits(None, names=tuple(a.splits))
    for name in a.splits:
        sp = splits[name]
        views = {"clean": sp.pixels} | (shifts48(sp.pixels) if name != "Training" else {})
        for view, u8 in views.items():
            path = a.out / f"{name}_{view}.npz"
            if path.exists():
                continue
            t = time.time()
            z, bs, pres = features(u8, expr, mesh, blend)
            np.savez_compressed(path, logits=z, blendshapes=bs, presence=pres, soft=sp.ferplus_soft,
                                valid=sp.ferplus_valid, major=sp.ferplus_major, rows=sp.rows)
            print(f"{name} {view}: {len(u8)} faces in {time.time() - t:.0f} s; mesh presence < 0.5 on "
                  f"{int((pres < 0.5).sum())}", flush=True)


if __name__ == "__main__":
    main()
