"""Weight-space average of the starting model and its robustness fine-tune (WiSE-FT, Wortsman et al. 2022), scored on
PublicTest under finetune.py's fixed shifts; writes <fine-tune folder>/wise_<alpha>.pt for export.py.

    git show 037d47a:Models/expression.onnx > /tmp/expression-1.1.0.onnx     # the starting model (1.1.0)
    cd training && python wise.py /tmp/expression-1.1.0.onnx 0.5 0.7          # alpha 0 = the start, 1 = the fine-tune
    python wise.py ../Models/expression.onnx 0.5 1 --finetuned runs/balanced/student_w28_robust_e3.pt

Both networks have the same fused layout and the fine-tune started from the first, so their weights can be mixed
linearly: the mix keeps most of the clean accuracy of the start and most of the robustness of the fine-tune.
A fine-tune trained with `finetune.py --balanced` gives balanced-prior logits; its heads' biases get tau times the
log training prior back first (exact: the prior is a per-class constant), so that every checkpoint written here has
natural-prior logits, as the product expects.
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

import finetune
from data import load_splits

STARTS = {   # the models a committed fine-tune started from
    "03b98e82c2b48c47e1d53c003422518de0e009ec708d6c07d4a7a4536d851e71": "mien-expression 1.1.0",
    "5314971805ab13ee18aa1ff608e3b27991ac29698d97df7ee9d45b0d30a7b96b": "mien-expression 1.2.0",
}

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("start", type=Path)
ap.add_argument("alphas", type=float, nargs="+")
ap.add_argument("--finetuned", type=Path, default=Path("runs/robust2/student_w28_robust_e3.pt"))
args = ap.parse_args()
sha = hashlib.sha256(args.start.read_bytes()).hexdigest()
if sha not in STARTS:
    raise SystemExit(f"{args.start} (sha256 {sha[:16]}…) is none of the models a fine-tune started from: {list(STARTS.values())}")
ck = torch.load(args.finetuned, map_location="cpu", weights_only=False)
if ck["from"]["sha256"] != sha:
    raise SystemExit(f"{args.finetuned} was tuned from {ck['from']['file']} ({ck['from']['sha256'][:16]}…), not {args.start}")

torch.set_num_threads(2)
splits = load_splits(None, names=("Training", "PublicTest"))
tr, pub = splits["Training"], splits["PublicTest"]
lp, lp13 = finetune.training_log_priors(tr)
ft, tau = finetune.natural_state(ck, (lp, lp13))
if ck.get("balanced_logits"):
    print(f"{args.finetuned}: balanced-prior logits; folded tau {tau} x log prior into the head biases", flush=True)
base = finetune.load_onnx(args.start)
b = base.state_dict()
for a in args.alphas:
    net = finetune.load_onnx(args.start)
    net.load_state_dict({k: (1 - a) * b[k] + a * ft[k] for k in b})
    net = net.to(memory_format=torch.channels_last)
    r = finetune.evaluate(net, pub, lp, tau=tau[0])
    print(json.dumps({"alpha": a, "public_test": r}), flush=True)
    torch.save({"arch": "student_w28", "config": finetune.ARCHITECTURES["student_w28"] | {"fused": True},
                "state_dict": net.state_dict(), "epochs": ck["epochs"], "wise_alpha": a,
                "from": ck["from"], "finetuned": str(args.finetuned)}, args.finetuned.parent / f"wise_{a}.pt")
