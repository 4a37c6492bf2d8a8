"""Weight-space soups (Wortsman et al. 2022, "Model soups") of Mien's own fine-tunes: every ingredient was tuned
from 1.2.0 (or is 1.2.0 / its parents), so their fused weights can be averaged. Scored on PublicTest only, clean and
under finetune.py's fixed shifts; greedy soup = add an ingredient (in order of PublicTest clean accuracy) only if
the soup's PublicTest score does not drop.

    git show 037d47a:Models/expression.onnx > /tmp/expression-1.1.0.onnx
    cd training && python soup.py ../Models/expression.onnx --ingredients runs/control/student_w28_robust_e3.pt \
        runs/balanced/student_w28_robust_e3.pt runs/aligned/student_w28_robust_e3.pt --out runs/soup
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

import finetune
from data import load_splits

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("start", type=Path, help="the ONNX model the ingredients were tuned from (1.2.0)")
ap.add_argument("--extra-onnx", type=Path, nargs="*", default=[], help="more whole models as ingredients (e.g. 1.1.0)")
ap.add_argument("--ingredients", type=Path, nargs="+", required=True)
ap.add_argument("--score", default="clean", help="'clean' (PublicTest clean macro recall + accuracy) or 'mean' (over all fixed shifts)")
ap.add_argument("--out", type=Path, required=True)
args = ap.parse_args()
torch.set_num_threads(2)
splits = load_splits(None, names=("Training", "PublicTest"))
tr, pub = splits["Training"], splits["PublicTest"]
lp, lp13 = finetune.training_log_priors(tr)
tau = (0.4445, 0.6586)

start = finetune.load_onnx(args.start)
states = {"start": {k: v.clone() for k, v in start.state_dict().items()}}
for p in args.extra_onnx:
    states[p.name] = finetune.load_onnx(p).state_dict()
for p in args.ingredients:
    states[str(p)] = finetune.natural_state(torch.load(p, map_location="cpu", weights_only=False), (lp, lp13))[0]


def score(r):
    if args.score == "clean":
        return r["clean"]["natural"][0] + r["clean"]["natural"][1]
    return float(np.mean([v["natural"][0] + v["natural"][1] for v in r.values()]))


def evaluate(sd):
    net = finetune.load_onnx(args.start)
    net.load_state_dict(sd)
    return finetune.evaluate(net.to(memory_format=torch.channels_last), pub, lp, tau=tau[0])


def mean(names):
    return {k: sum(states[n][k] for n in names) / len(names) for k in states["start"]}


results = {}
for name, sd in states.items():
    results[name] = evaluate(sd)
    print(json.dumps({"ingredient": name, "score": round(score(results[name]), 2), "public_test": results[name]}), flush=True)
order = sorted(states, key=lambda n: -score(results[n]))
uniform = evaluate(mean(list(states)))
print(json.dumps({"soup": "uniform", "members": list(states), "score": round(score(uniform), 2), "public_test": uniform}), flush=True)
soup, best = [order[0]], score(results[order[0]])
for n in order[1:]:
    r = evaluate(mean(soup + [n]))
    s = score(r)
    print(json.dumps({"try": soup + [n], "score": round(s, 2), "public_test": r}), flush=True)
    if s >= best:
        soup, best = soup + [n], s
print(json.dumps({"soup": "greedy", "members": soup, "score": round(best, 2)}), flush=True)
args.out.mkdir(parents=True, exist_ok=True)
torch.save({"arch": "student_w28", "config": finetune.ARCHITECTURES["student_w28"] | {"fused": True},
            "state_dict": mean(soup), "soup": soup, "from": {"file": str(args.start)}},
           args.out / "greedy_soup.pt")
