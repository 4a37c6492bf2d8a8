"""Weight-space average of the starting model and its robustness fine-tune (WiSE-FT, Wortsman et al. 2022), scored on
PublicTest under finetune.py's fixed shifts; writes runs/robust2/wise_<alpha>.pt for export.py.

    git show 037d47a:Models/expression.onnx > /tmp/expression-1.1.0.onnx     # the starting model (1.1.0)
    cd training && python wise.py /tmp/expression-1.1.0.onnx 0.5 0.7          # alpha 0 = the start, 1 = the fine-tune

Both networks have the same fused layout and the fine-tune started from the first, so their weights can be mixed
linearly: the mix keeps most of the clean accuracy of the start and most of the robustness of the fine-tune.
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

import finetune
from data import load_splits

FINETUNED = "runs/robust2/student_w28_robust_e3.pt"
START_SHA256 = "03b98e82c2b48c47e1d53c003422518de0e009ec708d6c07d4a7a4536d851e71"   # mien-expression 1.1.0

start = Path(sys.argv[1])
if hashlib.sha256(start.read_bytes()).hexdigest() != START_SHA256:
    sys.exit(f"{start} is not mien-expression 1.1.0 (sha256 {START_SHA256[:16]}…), the model {FINETUNED} was tuned from")

torch.set_num_threads(2)
splits = load_splits(None, names=("Training", "PublicTest"))
tr, pub = splits["Training"], splits["PublicTest"]
counts = tr.ferplus_soft[tr.ferplus_valid].sum(0)
lp = torch.from_numpy(np.log(counts / counts.sum())).float()
base = finetune.load_onnx(start)
ft = torch.load(FINETUNED, map_location="cpu", weights_only=False)["state_dict"]
b = base.state_dict()
for a in [float(x) for x in sys.argv[2:]]:
    net = finetune.load_onnx(start)
    net.load_state_dict({k: (1 - a) * b[k] + a * ft[k] for k in b})
    net = net.to(memory_format=torch.channels_last)
    r = finetune.evaluate(net, pub, lp)
    print(json.dumps({"alpha": a, "public_test": {k: v["natural"] for k, v in r.items()}}), flush=True)
    torch.save({"arch": "student_w28", "config": finetune.ARCHITECTURES["student_w28"] | {"fused": True},
                "state_dict": net.state_dict(), "epochs": 4, "wise_alpha": a}, f"runs/robust2/wise_{a}.pt")
