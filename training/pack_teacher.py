"""Packs a teacher checkpoint for the trip to a GPU machine: conv and linear weights as int8 with one scale per
output channel, everything else fp16 (about 7.8 MB instead of 15.7 MB). Together with
`pack_data.py --training-only` it fits the 64 MiB that travels with the working tree, so students can be distilled
on the GPU from a teacher trained in an earlier call (`train.py --teacher-checkpoint`).

    python training/pack_teacher.py training/runs/h200/teacher.pt training/cache/teacher/teacher_int8.pt
"""
import sys
from pathlib import Path

import torch


def quantize(state):
    out = {}
    for k, v in state.items():
        if v.is_floating_point() and v.dim() >= 2:
            w = v.float()
            scale = w.abs().flatten(1).amax(1).clamp_min(1e-12) / 127
            q = torch.round(w / scale.view(-1, *[1] * (w.dim() - 1))).to(torch.int8)
            out[k] = {"int8": q, "scale": scale.half()}
        else:
            out[k] = v.half() if v.is_floating_point() else v
    return out


def dequantize(state):
    """Inverse of quantize; also accepts a plain state dict."""
    out = {}
    for k, v in state.items():
        if isinstance(v, dict):
            out[k] = v["int8"].float() * v["scale"].float().view(-1, *[1] * (v["int8"].dim() - 1))
        else:
            out[k] = v.float() if v.is_floating_point() else v
    return out


if __name__ == "__main__":
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    ck = torch.load(src, map_location="cpu", weights_only=False)
    ck["state_dict"] = quantize(ck["state_dict"])
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ck, dst)
    print(dst, dst.stat().st_size / 2**20, "MiB")
