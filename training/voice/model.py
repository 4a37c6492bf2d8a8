"""Compact log-mel CNN for vocal expression. Only ops OpenCV 4.6 DNN runs: Conv, BatchNorm (folded on export),
Relu, MaxPool, AveragePool with a fixed kernel, Flatten (torch.flatten), Gemm."""
import torch
from torch import nn


def block(cin, cout, pool, stride=1):
    layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
              nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return layers


class VoiceCNN(nn.Module):
    def __init__(self, n_mels=64, frames=300, classes=8, width=(16, 32, 64, 64), dropout=0.3):
        super().__init__()
        c1, c2, c3, c4 = width
        # A strided first layer and four poolings keep it at ~15 MMAC per 3 s: CPU training in minutes and far
        # more than 200x real time at inference.
        self.features = nn.Sequential(*block(1, c1, True, stride=2), *block(c1, c2, True), *block(c2, c3, True),
                                      *block(c3, c4, False))
        f, t = n_mels // 16, frames // 16
        # Average over time only: where in frequency the energy sits carries the expression (pitch, formants).
        self.pool = nn.AvgPool2d((1, t))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(c4 * f, classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.head(self.dropout(torch.flatten(x, 1)))
