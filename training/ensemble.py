"""Output ensembles of Mien's own expression models (no external weights), scored on PublicTest only.

Each member is an ONNX file (the shipped 1.2.0, earlier releases from git, an exported CPU run); the ensemble's
logits are the mean of the members' raw logits per head (the members' temperatures are within 2% of each other).
Scored clean and under finetune.py's fixed shifts, flip-averaged, FER+ accuracy / macro recall under the natural and
the balanced prior, plus the FER2013 head's accuracy. `finetune.py --teachers` distils such an ensemble into the
shipped network.

    git show e180918:Models/expression.onnx > /tmp/expression-1.0.0.onnx
    git show 86902c1:Models/expression.onnx > /tmp/expression-1.1.0.onnx
    cd training && python ensemble.py ../Models/expression.onnx /tmp/expression-1.0.0.onnx /tmp/expression-1.1.0.onnx \
        --report results/ensemble_public_test.jsonl
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import augment
import finetune
from data import load_splits


class OnnxEnsemble(torch.nn.Module):
    """Mean raw logits of ONNX members, as a module with the network's interface: normalised (B,1,40,40) in,
    (FER+ logits, FER2013 logits) out. Inference only (onnxruntime, no gradients)."""

    def __init__(self, paths: list[Path], threads: int = 2):
        super().__init__()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.paths = [Path(p) for p in paths]
        self.sessions = [ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"]) for p in self.paths]

    def forward(self, x: torch.Tensor):
        a = np.ascontiguousarray(x.detach().float().contiguous().numpy())
        outs = [s.run(["ferplus", "fer2013"], {"input": a}) for s in self.sessions]
        fp = np.mean([o[0] for o in outs], axis=0)
        f13 = np.mean([o[1] for o in outs], axis=0)
        return torch.from_numpy(fp), torch.from_numpy(f13)


@torch.no_grad()
def fer2013_accuracy(net, split) -> float:
    o = augment.CROP_OFFSET
    x = torch.from_numpy(split.pixels[:, o:o + 40, o:o + 40]).float().unsqueeze(1) / 255
    z = []
    for i in range(0, len(x), 1024):
        b = augment.normalise(x[i:i + 1024])
        z.append((net(b)[1] + net(b.flip(3))[1]) / 2)
    p = torch.cat(z).argmax(1).numpy()
    return round(100 * float((p == split.fer2013).mean()), 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("members", type=Path, nargs="+", help="ONNX files; the first is the shipped model")
    ap.add_argument("--max-size", type=int, default=None, help="largest ensemble to score (default: all members)")
    ap.add_argument("--report", type=Path, default=None, help="append one JSON line per model/ensemble")
    args = ap.parse_args()
    torch.set_num_threads(2)
    splits = load_splits(None, names=("Training", "PublicTest"))
    tr, pub = splits["Training"], splits["PublicTest"]
    lp, _ = finetune.training_log_priors(tr)
    names = [p.name if i == 0 else f"{p.parent.name}/{p.name}" if p.parent.name not in ("tmp", "") else p.name
             for i, p in enumerate(args.members)]
    top = args.max_size or len(args.members)
    for k in range(1, top + 1):
        for combo in itertools.combinations(range(len(args.members)), k):
            net = OnnxEnsemble([args.members[i] for i in combo])
            row = {"members": [names[i] for i in combo],
                   "public_test": finetune.evaluate(net, pub, lp, tau=0.4445),
                   "fer2013_head_accuracy": fer2013_accuracy(net, pub)}
            line = json.dumps(row)
            print(line, flush=True)
            if args.report is not None:
                with args.report.open("a") as f:
                    f.write(line + "\n")


if __name__ == "__main__":
    main()
