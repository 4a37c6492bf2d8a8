"""The expression network: a plain VGG-style CNN with one shared trunk and two linear heads.

Plain conv3x3 + BatchNorm + ReLU stages (no residual adds, no exotic ops) keep the ONNX graph to ops that
OpenCV 4.6's DNN module runs, and keep per-face latency on one CPU core low. The same class with wider
stages is the teacher that the deployed student is distilled from.
"""
from __future__ import annotations

import torch
from torch import nn

from data import FER2013_CLASSES, FERPLUS_CLASSES

ARCHITECTURES = {
    # ~38 M multiply-adds at 40x40: the 1.0.0 model. Measured on one core of the 2-core dev machine, batch 1:
    # 1.4-2.0 ms in OpenCV 4.6 DNN, 0.7-0.8 ms in onnxruntime (the 82 M "student_wide" took 3.7 ms in OpenCV).
    "student": dict(widths=(24, 48, 96, 192), depth=(1, 2, 2, 2), dropout=0.2),
    # ~46 M: one more 5x5 conv than "student". ~47 M, 1/6 wider: "student_w28", the deployed model since 1.1.0
    # (1.6-1.7 ms in OpenCV 4.6, one core; Models/MODEL_CARD.md).
    "student_d3": dict(widths=(24, 48, 96, 192), depth=(1, 2, 2, 3), dropout=0.2),
    "student_w28": dict(widths=(28, 56, 112, 192), depth=(1, 2, 2, 2), dropout=0.2),
    # ~82 M multiply-adds: the feasibility-run shape, distilled alongside for comparison.
    "student_wide": dict(widths=(32, 64, 128, 256), depth=(2, 2, 2, 2), dropout=0.3),
    # ~0.55 G multiply-adds; trained on the GPU only to teach the student.
    "teacher": dict(widths=(64, 128, 256, 512), depth=(3, 3, 3, 3), dropout=0.4),
}


def _conv(cin, cout, fused=False):
    if fused:   # BatchNorm folded into the convolution, as the exported ONNX holds it (finetune.py starts from there)
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=True), nn.ReLU(inplace=True)]
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class ExpressionNet(nn.Module):
    def __init__(self, widths, depth, dropout, fused=False):
        super().__init__()
        layers, cin = [], 1
        for i, (w, d) in enumerate(zip(widths, depth)):
            for _ in range(d):
                layers += _conv(cin, w, fused)
                cin = w
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
        self.trunk = nn.Sequential(*layers)
        self.drop = nn.Dropout(dropout)
        self.ferplus = nn.Linear(cin, len(FERPLUS_CLASSES))
        self.fer2013 = nn.Linear(cin, len(FER2013_CLASSES))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        # mean over H and W, then flatten (not .view): OpenCV 4.6 imports ReduceMean/GlobalAveragePool + Flatten cleanly.
        f = torch.flatten(nn.functional.adaptive_avg_pool2d(self.trunk(x), 1), 1)
        f = self.drop(f)
        return self.ferplus(f), self.fer2013(f)


def build(name: str) -> ExpressionNet:
    return ExpressionNet(**ARCHITECTURES[name])
