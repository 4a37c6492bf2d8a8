"""Batched augmentation that runs on the training device (GPU or CPU), so a small network is not
starved by a per-image data loader.

The network sees a 40x40 view of the 48x48 FER2013 frame. Without augmentation that view is the
centred crop [4:44, 4:44] exactly (the affine grid below lands on pixel centres), which is the
preprocessing written into Models/expression.json.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

FRAME = 48
INPUT = 40
CROP_OFFSET = (FRAME - INPUT) // 2
# Mean and standard deviation of all 48x48 FER2013 Training pixels scaled to [0, 1] (measured: 0.50762, 0.25508),
# rounded and fixed here so that the exported JSON and the network agree by construction.
MEAN = 0.5077
STD = 0.2550


def normalise(x01: torch.Tensor) -> torch.Tensor:
    return (x01 - MEAN) / STD


def centre_view(pixels_u8: torch.Tensor) -> torch.Tensor:
    """(B,48,48) uint8 -> (B,1,40,40) normalised float: the deployed preprocessing."""
    o = CROP_OFFSET
    x = pixels_u8[:, o:o + INPUT, o:o + INPUT].float().unsqueeze(1) * (1.0 / 255.0)
    return normalise(x)


def geometric_view(pixels_u8: torch.Tensor, g: torch.Generator, *, max_rot_deg=12.0, scale=(0.88, 1.12),
                   max_shift_px=4.0, flip=True) -> torch.Tensor:
    """(B,48,48) uint8 -> (B,1,40,40) float in [0, 1] with random flip, rotation, scale and shift."""
    dev = pixels_u8.device
    B = pixels_u8.shape[0]

    def U(lo, hi, *shape):
        return torch.rand(*(shape or (B,)), generator=g, device=dev) * (hi - lo) + lo

    x = pixels_u8.float().unsqueeze(1) * (1.0 / 255.0)
    ang = U(-max_rot_deg, max_rot_deg) * (math.pi / 180)
    s = torch.exp(U(math.log(scale[0]), math.log(scale[1])))
    fx = torch.where(torch.rand(B, generator=g, device=dev) < 0.5, -1.0, 1.0) if flip else torch.ones(B, device=dev)
    k = INPUT / FRAME / s
    cos, sin = torch.cos(ang) * k, torch.sin(ang) * k
    theta = torch.stack([
        torch.stack([cos * fx, -sin, U(-max_shift_px, max_shift_px) * 2 / FRAME], 1),
        torch.stack([sin * fx, cos, U(-max_shift_px, max_shift_px) * 2 / FRAME], 1)], 1)
    grid = F.affine_grid(theta, (B, 1, INPUT, INPUT), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_view(pixels_u8: torch.Tensor, g: torch.Generator, *, max_rot_deg=12.0, scale=(0.88, 1.12),
                max_shift_px=4.0, flip=True, brightness=0.2, contrast=(0.65, 1.35), erase_p=0.5) -> torch.Tensor:
    """(B,48,48) uint8 -> (B,1,40,40) normalised float with random flip, rotation, scale, shift,
    brightness/contrast and random erasing."""
    dev = pixels_u8.device
    B = pixels_u8.shape[0]

    def U(lo, hi, *shape):
        return torch.rand(*(shape or (B,)), generator=g, device=dev) * (hi - lo) + lo

    x = geometric_view(pixels_u8, g, max_rot_deg=max_rot_deg, scale=scale, max_shift_px=max_shift_px, flip=flip)
    m = x.mean((2, 3), keepdim=True)
    c = U(*contrast).view(B, 1, 1, 1)
    b = U(-brightness, brightness).view(B, 1, 1, 1)
    x = ((x - m) * c + m + b).clamp(0, 1)
    x = normalise(x)

    if erase_p > 0:
        area = U(0.02, 0.2) * INPUT * INPUT
        aspect = torch.exp(U(math.log(0.3), math.log(3.3)))
        h = (area * aspect).sqrt().clamp(max=INPUT)
        w = (area / aspect).sqrt().clamp(max=INPUT)
        y0 = U(0, 1) * (INPUT - h)
        x0 = U(0, 1) * (INPUT - w)
        ys = torch.arange(INPUT, device=dev).view(1, INPUT, 1)
        xs = torch.arange(INPUT, device=dev).view(1, 1, INPUT)
        box = ((ys >= y0.view(B, 1, 1)) & (ys < (y0 + h).view(B, 1, 1)) &
               (xs >= x0.view(B, 1, 1)) & (xs < (x0 + w).view(B, 1, 1)))
        on = (torch.rand(B, generator=g, device=dev) < erase_p).view(B, 1, 1)
        noise = torch.randn(B, INPUT, INPUT, generator=g, device=dev)
        x = torch.where((box & on).unsqueeze(1), noise.unsqueeze(1), x)
    return x
