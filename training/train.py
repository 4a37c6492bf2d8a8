"""Trains the expression network: a wide teacher on the labels, then small students distilled from it.

    python training/train.py --device cuda      # the committed model (defaults; Models/MODEL_CARD.md: machine, time)
    python training/train.py --device cpu --teacher-epochs 0 --student-epochs 45   # CPU-only variant, no teacher

Both phases see the same on-device augmentation (augment.py). Each head has its own loss:
- FER+ head: cross-entropy against the 8-class vote distribution, rows with an unknown/NF majority left out;
- FER2013 head: cross-entropy against the original label with label smoothing.
Both losses weight class c by (frequency_c / mean frequency)^-CLASS_WEIGHT_POWER, a mild lift for fear, disgust
and contempt. Students add a distillation term (KL to the teacher's softened outputs on the same mixed batch).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import augment
from data import load_splits
from model import ARCHITECTURES, build
from pack_teacher import dequantize

CLASS_WEIGHT_POWER = 0.3
LABEL_SMOOTHING = 0.1
MIXUP_ALPHA = 0.3
KD_TEMPERATURE = 2.0
KD_WEIGHT = 0.7          # share of the student's loss that is distillation
WARMUP_EPOCHS = 2


def class_weights(counts: np.ndarray) -> torch.Tensor:
    f = counts / counts.sum()
    w = (f * len(f)) ** -CLASS_WEIGHT_POWER
    return torch.tensor(w / (w * f).sum(), dtype=torch.float32)   # frequency-weighted mean of 1


def soft_ce(logits, target, weight):
    return -(target * weight * F.log_softmax(logits.float(), 1)).sum(1)


def kd(student_logits, teacher_logits):
    t = KD_TEMPERATURE
    p = F.softmax(teacher_logits.float() / t, 1)
    return (p * (p.clamp_min(1e-8).log() - F.log_softmax(student_logits.float() / t, 1))).sum(1) * t * t


def open_log(out: Path):
    """A function that prints a line and appends it to out/train_log.txt."""
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / "train_log.txt", "a")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n"); logf.flush()
    return log


class Schedule:
    """Linear warm-up, then cosine to zero over `total` epochs (the total may be fixed after epoch 1)."""

    def __init__(self, base_lr, steps_per_epoch):
        self.base, self.spe, self.total = base_lr, steps_per_epoch, None

    def lr(self, step):
        e = step / self.spe
        if e < WARMUP_EPOCHS:
            return self.base * (e + 1 / self.spe) / WARMUP_EPOCHS
        total = self.total or 10 ** 9
        return self.base * 0.5 * (1 + math.cos(math.pi * min(1.0, (e - WARMUP_EPOCHS) / max(1e-9, total - WARMUP_EPOCHS))))


@torch.no_grad()
def evaluate(model, split, device, batch=1024):
    model.eval()
    fp, f13 = [], []
    for i in range(0, split["n"], batch):
        x = augment.centre_view(split["pixels"][i:i + batch])
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
            a, b = model(x)
        fp.append(a.float().argmax(1)); f13.append(b.float().argmax(1))
    fp, f13 = torch.cat(fp), torch.cat(f13)
    v = split["ferplus_valid"]
    model.train()
    return {"ferplus_acc": (fp[v] == split["ferplus_major"][v]).float().mean().item(),
            "fer2013_acc": (f13 == split["fer2013"]).float().mean().item()}


def to_device(s, device):
    return {"pixels": torch.from_numpy(s.pixels).to(device), "ferplus_soft": torch.from_numpy(s.ferplus_soft).to(device),
            "ferplus_valid": torch.from_numpy(s.ferplus_valid).to(device),
            "ferplus_major": torch.from_numpy(s.ferplus_major).to(device), "fer2013": torch.from_numpy(s.fer2013).to(device),
            "n": len(s)}


def train_phase(names, teacher, epochs_arg, tr, val, args, device, log, out):
    """Trains the networks `names` together on the same batches. epochs_arg: 'N' or 'auto:SECONDS'."""
    g = torch.Generator(device=device).manual_seed(args.seed + (0 if teacher is None else 1))
    torch.manual_seed(args.seed + (0 if teacher is None else 1))
    nets = {n: build(n).to(device) for n in names}
    # channels_last: faster convolutions on the GPU and with oneDNN on the CPU (2 cores: 56 s/epoch vs 75 s)
    nets = {n: m.to(memory_format=torch.channels_last) for n, m in nets.items()}
    lr = args.lr * args.batch / 128
    opts = {n: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=args.wd)
            for n, m in nets.items()}
    n = tr["n"] if args.subset is None else min(args.subset, tr["n"])
    spe = n // args.batch
    sched = Schedule(lr, spe)
    if not epochs_arg.startswith("auto"):
        sched.total = int(epochs_arg)
    w_fp, w_13 = args.w_ferplus.to(device), args.w_fer2013.to(device)
    history, step, epoch, t0 = [], 0, 0, time.time()
    while sched.total is None or epoch < sched.total:
        perm = torch.randperm(n, generator=g, device=device)
        for i in range(spe):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            x = augment.random_view(tr["pixels"][idx], g)
            q, qv, y = tr["ferplus_soft"][idx], tr["ferplus_valid"][idx], F.one_hot(tr["fer2013"][idx], 7).float()
            y = y * (1 - LABEL_SMOOTHING) + LABEL_SMOOTHING / 7
            # mixup: one lambda per batch, partner = the batch reversed
            lam = float(np.random.default_rng(args.seed * 100003 + step).beta(MIXUP_ALPHA, MIXUP_ALPHA))
            lam = max(lam, 1 - lam)
            x = lam * x + (1 - lam) * x.flip(0)
            q = lam * q + (1 - lam) * q.flip(0)
            qv = qv & qv.flip(0)
            y = lam * y + (1 - lam) * y.flip(0)
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
                if teacher is not None:
                    with torch.no_grad():
                        tfp, t13 = teacher(x)
                        if args.kd_flip:   # the mirrored view's logits too: the teacher's flip average is more accurate
                            ffp, f13 = teacher(x.flip(3))
                            tfp, t13 = (tfp + ffp) / 2, (t13 + f13) / 2
                for name, m in nets.items():
                    a, b = m(x)
                    l_fp = (soft_ce(a, q, w_fp) * qv).sum() / qv.sum().clamp_min(1)
                    l_13 = soft_ce(b, y, w_13).mean()
                    loss = l_fp + l_13
                    if teacher is not None:
                        loss = (1 - KD_WEIGHT) * loss + KD_WEIGHT * (kd(a, tfp).mean() + kd(b, t13).mean())
                    for pg in opts[name].param_groups:
                        pg["lr"] = sched.lr(step)
                    opts[name].zero_grad(set_to_none=True)
                    loss.backward()
                    opts[name].step()
            step += 1
        epoch += 1
        if epoch == 1:
            t1 = time.time()
        if sched.total is None and epoch == 2:
            # The second epoch times the steady state: the first includes cuDNN autotuning (7 s against ~1 s later
            # on the H200), which made the first GPU call under-train. Both are warm-up epochs, whose learning rate
            # does not depend on the total, so fixing the total here changes nothing already done.
            budget = float(epochs_arg.split(":")[1])
            per_epoch = time.time() - t1
            sched.total = max(WARMUP_EPOCHS + 1, epoch + int((budget - (time.time() - t0)) / (per_epoch * 1.03)))
            log(f"[{'+'.join(names)}] epoch 2 took {per_epoch:.1f}s -> training {sched.total} epochs "
                f"(reproduce with --{'teacher' if names == ['teacher'] else 'student'}-epochs {sched.total})")
        if epoch % args.eval_every == 0 or epoch == sched.total:
            row = {"epoch": epoch, "lr": sched.lr(step - 1), "loss": loss.item(), "seconds": round(time.time() - t0, 1)}
            for name, m in nets.items():
                if val is not None:   # a --training-only pack has no PublicTest: export.py validates here
                    row[name] = evaluate(m, val, device)
            history.append(row)
            log(json.dumps(row))
    for name, m in nets.items():
        m.eval()
        state = {k: v.detach().cpu() for k, v in m.state_dict().items()}
        if name == "teacher":   # fp16 keeps the file under the device's 16 MiB return limit
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        torch.save({"arch": name, "config": ARCHITECTURES[name], "state_dict": state, "epochs": sched.total,
                    "seconds": round(time.time() - t0, 1), "history": history, "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()} | {
                        "w_ferplus": args.w_ferplus.tolist(), "w_fer2013": args.w_fer2013.tolist()}},
                   Path(out) / f"{name}.pt")
    return nets, sched.total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--data", type=Path, default=None, help="fer2013 folder (default ../shared/data/fer2013, "
                    "else training/cache/fer2013_packed)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "runs" / "latest")
    ap.add_argument("--teacher-epochs", default="180", help="N, 0 for no teacher, or auto:SECONDS")
    ap.add_argument("--student-epochs", default="200", help="N or auto:SECONDS")
    ap.add_argument("--students", default="student", help="comma-separated; e.g. student,student_wide; "
                    "'none' trains the teacher only")
    ap.add_argument("--teacher-checkpoint", type=Path, default=None,
                    help="distil from this teacher.pt instead of training one (students trained in parallel processes)")
    ap.add_argument("--kd-flip", action="store_true", help="distil from the teacher's flip-averaged logits")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.05, help="per 128 images")
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--subset", type=int, default=None, help="train on the first N shuffled rows (smoke tests)")
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    log = open_log(args.out)
    t0 = time.time()
    splits = load_splits(args.data, names=("Training", "PublicTest"))
    trs = splits["Training"]
    log(f"device {device} {torch.cuda.get_device_name() if device.type == 'cuda' else ''} torch {torch.__version__}; "
        f"{len(trs)} training rows ({trs.ferplus_valid.sum()} with a FER+ label), data loaded in {time.time() - t0:.1f}s")
    if args.subset:
        keep = np.random.default_rng(args.seed).permutation(len(trs))[:args.subset]
        for f in ("rows", "pixels", "ferplus_soft", "ferplus_valid", "ferplus_major", "fer2013"):
            setattr(trs, f, getattr(trs, f)[np.sort(keep)])
    args.w_ferplus = class_weights(trs.ferplus_soft[trs.ferplus_valid].sum(0))
    args.w_fer2013 = class_weights(np.bincount(trs.fer2013, minlength=7).astype(float))
    log(f"class weights ferplus {np.round(args.w_ferplus.numpy(), 2).tolist()} fer2013 {np.round(args.w_fer2013.numpy(), 2).tolist()}")
    tr = to_device(trs, device)
    val = to_device(splits["PublicTest"], device) if "PublicTest" in splits else None

    teacher = None
    if args.teacher_checkpoint is not None:
        ck = torch.load(args.teacher_checkpoint, map_location="cpu", weights_only=False)
        teacher = build(ck["arch"])
        teacher.load_state_dict(dequantize(ck["state_dict"]))   # fp16 or pack_teacher.py's int8
        teacher = teacher.to(device).eval()
        teacher = teacher.to(memory_format=torch.channels_last)
        for p in teacher.parameters():
            p.requires_grad_(False)
        log(f"teacher from {args.teacher_checkpoint}: {ck['arch']}, {ck['epochs']} epochs")
    elif args.teacher_epochs != "0":
        nets, _ = train_phase(["teacher"], None, args.teacher_epochs, tr, val, args, device, log, args.out)
        teacher = nets["teacher"].eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    if args.students != "none":
        train_phase(args.students.split(","), teacher, args.student_epochs, tr, val, args, device, log, args.out)
    log(f"total {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
