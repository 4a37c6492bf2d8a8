"""Trains and evaluates the vocal-expression CNN on RAVDESS speech, speaker-independently, and exports it.

    .venv-voice/bin/python training/voice/train.py --data ../shared/data/voice/ravdess --out training/runs/v2/cv

(defaults are the committed recipe: width 24-48-96-96, 60 epochs, mixup 0.2, +-6 dB gain, +-2 mel-bin shift). To use
two cores: `--only-folds 1,2,3` and `--only-folds 4` then `--final-only` in parallel, then `--merge` (same numbers:
every fit is seeded by itself).

Evaluation: grouped k-fold by actor (never the same actor in train and test). Out-of-fold logits give accuracy,
macro-F1, per-class recall, the confusion matrix, the temperature (fit by NLL) and ECE before/after, the abstain
threshold and a per-gender breakdown. The exported model is then trained on all 24 actors with the same recipe and
epochs. `--inner N` screens a recipe inside outer fold N's training actors only (validation actors held out by actor).
"""
import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

import features
from model import VoiceCNN

RECIPE = {"sample_rate": 16000, "n_fft": 512, "win_length": 400, "hop_length": 160, "n_mels": 64, "f_min": 50.0,
          "f_max": 8000.0, "log_floor": 1e-6}
FRAMES = 300


def load(data_dir):
    rows = []
    for path in sorted(Path(data_dir).glob("Actor_*/*.flac")):
        rel = f"{path.parent.name}/{path.name}"
        if rel in features.DUPLICATES:
            continue
        parts = path.stem.split("-")
        x, sr = sf.read(path, dtype="float32")
        assert sr == 16000 and x.ndim == 1, path
        for seg, (start, lm) in enumerate(features.clip_segments(x, RECIPE)):
            rows.append({"file": rel, "segment": seg, "start": start, "actor": int(parts[6]),
                         "label": features.CLASSES.index(features.EMOTIONS[parts[2]]), "logmel": lm.astype(np.float32)})
    return rows


def tensors(rows, mean, std):
    x = np.stack([features.model_input(r["logmel"], FRAMES, mean, std, RECIPE["log_floor"]) for r in rows])
    used = np.array([min(len(r["logmel"]), FRAMES) for r in rows])
    return torch.from_numpy(x[:, None]), torch.tensor([r["label"] for r in rows]), torch.from_numpy(used)


def augment(x, used, pad_value, std, gain_db=0.0, freq_shift=0, fmask=8, tmask=20, masks=2):
    """Random gain (the speech part only, in dB), a small shift along the mel axis (a cheap vocal-tract-length
    perturbation), random placement in the window, SpecAugment-style masks (set to the pad value) — on the batch."""
    x = x.clone()
    n_mels = x.shape[2]
    for i in range(len(x)):
        u = int(used[i])
        dst = (FRAMES - u) // 2
        if gain_db > 0:
            g = float(torch.empty(1).uniform_(-gain_db, gain_db)) * np.log(10) / 10 / std
            x[i, :, :, dst:dst + u] += g
        if freq_shift > 0:
            k = int(torch.randint(-freq_shift, freq_shift + 1, (1,)))
            if k:
                x[i] = torch.roll(x[i], k, dims=1)
                if k > 0:
                    x[i, :, :k, dst:dst + u] = x[i, :, k:k + 1, dst:dst + u]
                else:
                    x[i, :, k:, dst:dst + u] = x[i, :, k - 1:k, dst:dst + u]
        slack = (FRAMES - u) // 2
        if slack > 0:
            x[i] = torch.roll(x[i], int(torch.randint(-slack, slack + 1, (1,))), dims=2)
        for _ in range(masks):
            w = int(torch.randint(0, fmask + 1, (1,)))
            f0 = int(torch.randint(0, n_mels - w + 1, (1,)))
            x[i, :, f0:f0 + w, :] = pad_value
            w = int(torch.randint(0, tmask + 1, (1,)))
            t0 = int(torch.randint(0, FRAMES - w + 1, (1,)))
            x[i, :, :, t0:t0 + w] = pad_value
    return x


def norm_stats(rows):
    v = np.concatenate([r["logmel"].ravel() for r in rows])
    return float(v.mean()), float(v.std())


def fit(rows, epochs, seed, log, cfg):
    torch.manual_seed(seed)
    mean, std = norm_stats(rows)
    x, y, used = tensors(rows, mean, std)
    pad_value = float((np.log(RECIPE["log_floor"]) - mean) / std)
    model = VoiceCNN(n_mels=RECIPE["n_mels"], frames=FRAMES, width=cfg["width"], dropout=cfg["dropout"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["wd"])
    steps = epochs * ((len(x) + 31) // 32)
    # One-cycle: linear warm-up over the first 20%, then cosine annealing to ~0.
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=steps, pct_start=0.2)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        total, t0 = 0.0, time.time()
        for b in range(0, len(x), 32):
            idx = perm[b:b + 32]
            xb = augment(x[idx], used[idx], pad_value, std, cfg["gain_db"], cfg["freq_shift"])
            yb = y[idx]
            if cfg["mixup"] > 0:
                lam = float(np.random.default_rng(int(torch.randint(0, 2**31, (1,)))).beta(cfg["mixup"], cfg["mixup"]))
                j = torch.randperm(len(idx))
                out = model(lam * xb + (1 - lam) * xb[j])
                loss = (lam * F.cross_entropy(out, yb, label_smoothing=cfg["smoothing"])
                        + (1 - lam) * F.cross_entropy(out, yb[j], label_smoothing=cfg["smoothing"]))
            else:
                loss = F.cross_entropy(model(xb), yb, label_smoothing=cfg["smoothing"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        log(f"  epoch {epoch + 1}/{epochs} loss {total / len(x):.3f} ({time.time() - t0:.0f}s)")
    model.eval()
    return model, mean, std


def predict(model, rows, mean, std):
    x, _, _ = tensors(rows, mean, std)
    with torch.no_grad():
        return torch.cat([model(x[b:b + 64]) for b in range(0, len(x), 64)]).numpy()


def ece(conf, correct, bins=15):
    idx = np.minimum(bins - 1, (conf * bins).astype(int))
    return float(sum(abs(correct[idx == b].mean() - conf[idx == b].mean()) * (idx == b).mean()
                     for b in range(bins) if (idx == b).any()))


def softmax(z, t=1.0):
    z = z / t
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits, labels):
    grid = np.exp(np.linspace(np.log(0.3), np.log(5), 300))
    nll = [-np.log(softmax(logits, t)[np.arange(len(labels)), labels] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def metrics(logits, labels, t):
    k = len(features.CLASSES)
    pred = logits.argmax(1)
    cm = np.zeros((k, k), dtype=int)
    for a, p in zip(labels, pred):
        cm[a, p] += 1
    recall = cm.diagonal() / cm.sum(1)
    precision = np.divide(cm.diagonal(), cm.sum(0), out=np.zeros(k), where=cm.sum(0) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    p_raw, p_cal = softmax(logits), softmax(logits, t)
    correct = pred == labels
    return {"n": int(len(labels)), "accuracy": float(correct.mean()), "macro_f1": float(f1.mean()),
            "per_class_recall": dict(zip(features.CLASSES, map(float, recall))),
            "confusion_matrix": {"rows_true_cols_pred": features.CLASSES, "counts": cm.tolist()},
            "nll_before": float(-np.log(p_raw[np.arange(len(labels)), labels]).mean()),
            "nll_after": float(-np.log(p_cal[np.arange(len(labels)), labels]).mean()),
            "ece_before": ece(p_raw.max(1), correct), "ece_after": ece(p_cal.max(1), correct)}


def abstain_threshold(logits, labels, t, target=0.80):
    """Lowest confidence whose accepted predictions reach `target` accuracy (out of fold)."""
    p = softmax(logits, t)
    conf, correct = p.max(1), p.argmax(1) == labels
    for th in np.arange(0.20, 0.96, 0.01):
        keep = conf >= th
        if keep.sum() >= 20 and correct[keep].mean() >= target:
            return {"threshold": round(float(th), 2), "target_accuracy": target,
                    "accepted_accuracy": float(correct[keep].mean()), "coverage": float(keep.mean())}
    return {"threshold": 0.95, "target_accuracy": target, "accepted_accuracy": None, "coverage": float((conf >= 0.95).mean())}


def clip_level(rows, logits):
    """Per clip: mean of its segments' logits (97%+ of clips are one segment)."""
    clips = sorted({r["file"] for r in rows})
    ci = {c: i for i, c in enumerate(clips)}
    z = np.zeros((len(clips), logits.shape[1]))
    n = np.zeros(len(clips))
    lab = np.zeros(len(clips), dtype=int)
    actor = np.zeros(len(clips), dtype=int)
    for r, l in zip(rows, logits):
        z[ci[r["file"]]] += l
        n[ci[r["file"]]] += 1
        lab[ci[r["file"]]] = r["label"]
        actor[ci[r["file"]]] = r["actor"]
    return z / n[:, None], lab, actor


def load_cached(data_dir, cache):
    if cache and Path(cache).exists():
        with open(cache, "rb") as f:
            return pickle.load(f)
    rows = load(data_dir)
    if cache:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        with open(cache, "wb") as f:
            pickle.dump(rows, f)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/voice/ravdess")
    ap.add_argument("--out", default="training/runs/voice")
    ap.add_argument("--cache", default="training/cache/voice_rows.pkl", help="segmented log-mel rows ('' = none)")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--width", default="24,48,96,96")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-2)
    ap.add_argument("--smoothing", type=float, default=0.05)
    ap.add_argument("--mixup", type=float, default=0.2, help="Beta(a, a) mixup; 0 = off")
    ap.add_argument("--gain-db", type=float, default=6.0, help="random gain of the speech part, +-dB; 0 = off")
    ap.add_argument("--freq-shift", type=int, default=2, help="random shift along the mel axis, +-bins")
    ap.add_argument("--only-folds", default="", help="comma list of fold numbers to run (for timing/screening)")
    ap.add_argument("--inner", type=int, default=0,
                    help="hyper-parameter screening: within outer fold N's training actors only, hold out a third of "
                         "them (by actor) as validation; the outer test actors are never loaded into it")
    ap.add_argument("--merge", action="store_true", help="only pool the fold_K.npz files already in --out")
    ap.add_argument("--final-only", action="store_true", help="only train the all-actor model (parallel to CV)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-final", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = {"width": tuple(int(v) for v in args.width.split(",")), "dropout": args.dropout, "lr": args.lr,
           "wd": args.wd, "smoothing": args.smoothing, "mixup": args.mixup, "gain_db": args.gain_db,
           "freq_shift": args.freq_shift}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / "train_log.txt", "a")

    def log(s):
        print(s, flush=True)
        logf.write(s + "\n")
        logf.flush()

    log(f"config {json.dumps(cfg)} epochs {args.epochs} seed {args.seed}")
    rows = load_cached(args.data, args.cache)
    log(f"{len(rows)} segments from {len({r['file'] for r in rows})} clips")
    actors = np.array(sorted({r["actor"] for r in rows}))
    rng = np.random.default_rng(args.seed)
    rng.shuffle(actors)
    folds = [set(map(int, actors[i::args.folds])) for i in range(args.folds)]
    if args.inner:
        # Screening never touches outer fold N's test actors: split its training actors 2:1 by actor.
        train_actors = [int(a) for a in actors if a not in folds[args.inner - 1]]
        # A fresh draw: taking every third actor of this list would give exactly another outer fold's test actors
        # (as the v2 screen did). Any inner validation actor is still some other outer fold's test actor.
        val = set(map(int, np.random.default_rng(args.seed + 1000).choice(train_actors, len(train_actors) // 3,
                                                                          replace=False)))
        rows = [r for r in rows if r["actor"] in set(map(int, train_actors))]
        folds = [val]
        log(f"inner screening inside outer fold {args.inner}: validation actors {sorted(val)}")
    if args.final_only:
        log("final model on all actors")
        model, mean, std = fit(rows, args.epochs, args.seed + 100, log, cfg)
        torch.save({"state": model.state_dict(), "mean": mean, "std": std, "config": cfg}, out / "final.pt")
        log("saved final.pt; run export.py")
        return
    only = {int(v) for v in args.only_folds.split(",") if v}
    oof = np.full((len(rows), len(features.CLASSES)), np.nan, dtype=np.float32)
    fold_acc = []
    for k, test_actors in enumerate(folds):
        if args.merge:
            saved = np.load(out / f"fold_{k + 1}.npz")
            assert sorted(saved["test_actors"].tolist()) == sorted(test_actors)
            oof[saved["test_idx"]] = saved["logits"]
            fold_acc.append(json.loads(str(saved["summary"])))
            continue
        if only and k + 1 not in only:
            continue
        train = [r for r in rows if r["actor"] not in test_actors]
        test_idx = [i for i, r in enumerate(rows) if r["actor"] in test_actors]
        log(f"fold {k + 1}/{len(folds)}: test actors {sorted(test_actors)}")
        model, mean, std = fit(train, args.epochs, args.seed + k, log, cfg)
        oof[test_idx] = predict(model, [rows[i] for i in test_idx], mean, std)
        test_rows = [rows[i] for i in test_idx]
        zc, lc, _ = clip_level(test_rows, oof[test_idx])
        acc = (oof[test_idx].argmax(1) == np.array([r["label"] for r in test_rows])).mean()
        fold_acc.append({"test_actors": sorted(test_actors), "per_segment_accuracy": float(acc),
                         "per_clip_accuracy": float((zc.argmax(1) == lc).mean())})
        log(f"fold {k + 1} accuracy {acc:.3f} (per clip {fold_acc[-1]['per_clip_accuracy']:.3f})")
        np.savez(out / f"fold_{k + 1}.npz", test_actors=np.array(sorted(test_actors)), test_idx=np.array(test_idx),
                 logits=oof[test_idx], summary=json.dumps(fold_acc[-1]))
    if args.inner or only:
        (out / "screen.json").write_text(json.dumps({"config": cfg, "epochs": args.epochs, "folds": fold_acc}, indent=2))
        return
    labels = np.array([r["label"] for r in rows])
    t = fit_temperature(oof, labels)
    clip_logits, clip_labels, clip_actor = clip_level(rows, oof)
    # RAVDESS: odd actor numbers are male, even female. Both genders are in every training fold, so this is a
    # per-gender breakdown of the speaker-independent result, not a cross-gender test.
    by_gender = {g: metrics(clip_logits[clip_actor % 2 == m], clip_labels[clip_actor % 2 == m], t)
                 for g, m in (("male", 1), ("female", 0))}
    report = {"protocol": f"grouped {args.folds}-fold by actor, {args.epochs} epochs, seed {args.seed}",
              "config": {**cfg, "epochs": args.epochs, "batch": 32, "optimiser": "AdamW one-cycle (cosine)"},
              "folds": [sorted(f) for f in folds], "per_fold": fold_acc, "temperature": t,
              "per_segment": metrics(oof, labels, t), "per_clip": metrics(clip_logits, clip_labels, t),
              "per_clip_by_gender": {g: {k: m[k] for k in ("n", "accuracy", "macro_f1", "per_class_recall")}
                                     for g, m in by_gender.items()},
              "abstain": abstain_threshold(oof, labels, t),
              "segments_per_clip": float(len(rows) / len(clip_labels))}
    (out / "cv_report.json").write_text(json.dumps(report, indent=2))
    np.save(out / "oof_logits.npy", oof)
    log(json.dumps({k: report[k] for k in ("temperature", "abstain")}))
    log(f"CV per-clip accuracy {report['per_clip']['accuracy']:.3f} macro-F1 {report['per_clip']['macro_f1']:.3f}")
    if args.skip_final or args.merge:
        return
    log("final model on all actors")
    model, mean, std = fit(rows, args.epochs, args.seed + 100, log, cfg)
    torch.save({"state": model.state_dict(), "mean": mean, "std": std, "config": cfg}, out / "final.pt")
    log("saved final.pt; run export.py")


if __name__ == "__main__":
    main()
