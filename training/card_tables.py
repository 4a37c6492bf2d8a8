"""Prints the model card's metric tables (markdown) from training/results/evaluation.json, so the card's numbers are
copied from the evaluation rather than typed:  python training/card_tables.py"""
import json
import sys
from pathlib import Path

path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results" / "evaluation.json"
r = json.loads(path.read_text())
pct = lambda x: f"{100 * x:.1f}%"

print("| head | view | accuracy | macro recall | macro F1 | ECE raw | ECE after T | T | threshold | coverage | selective acc. |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for head, h in r["heads"].items():
    rows = [("flip-averaged" if r["flip_average"] else "single view", h["private_test"], h["temperature"], h["abstain_threshold"])]
    if "single_view" in h:
        sv = h["single_view"]
        rows.append(("single view", sv["private_test"], sv["temperature"], sv["abstain_threshold"]))
    for view, p, T, thr in rows:
        print(f"| {head} | {view} | {pct(p['accuracy'])} | {pct(p['macro_recall'])} | {pct(p['macro_f1'])} | "
              f"{pct(p['ece_before'])} | {pct(p['ece_after'])} | {T} | {thr} | {pct(p['coverage'])} | {pct(p['selective_accuracy'])} |")
print()
for head, h in r["heads"].items():
    p = h["private_test"]
    print(f"**{head} head, PrivateTest (n = {p['n']}), per class**\n")
    print("| class | precision | recall | F1 | support |")
    print("|---|---|---|---|---|")
    for c, s in p["per_class"].items():
        print(f"| {c} | {pct(s['precision'])} | {pct(s['recall'])} | {pct(s['f1'])} | {s['support']} |")
    print()
    classes = list(p["per_class"])
    print(f"Confusion (rows: true label, columns: predicted)\n")
    print("| true \\ predicted | " + " | ".join(classes) + " |")
    print("|---" * (len(classes) + 1) + "|")
    for c, row in zip(classes, p["confusion"]):
        print(f"| **{c}** | " + " | ".join(str(v) for v in row) + " |")
    print()
pt = {h: v["public_test"] for h, v in r["heads"].items()}
print("PublicTest (fit split): " + "; ".join(
    f"{h} accuracy {pct(p['accuracy'])}, ECE {pct(p['ece_before'])} → {pct(p['ece_after'])}, coverage {pct(p['coverage'])} at selective accuracy {pct(p['selective_accuracy'])}"
    for h, p in pt.items()))
print()
print("Runtime checks: " + json.dumps(r["runtime_checks"]))
