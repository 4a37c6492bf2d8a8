"""Reads the log-mel features Swift exported (`mien voice --export-features`) and builds model inputs exactly as
Swift's `VocalExpressionModelSpec.input` does: centre the segment in `frames` columns, pad with ln(log_floor),
standardise with scalar mean/std. Also re-implements the recipe in numpy to check Swift against it."""
import json
from pathlib import Path

import numpy as np

EMOTIONS = {"01": "neutral", "02": "calm", "03": "happiness", "04": "sadness", "05": "anger", "06": "fear",
            "07": "disgust", "08": "surprise"}
CLASSES = list(EMOTIONS.values())
# Byte-identical upstream pair (RAVDESS README): keep one.
DUPLICATES = {"Actor_07/03-01-03-01-02-02-07.flac"}


def load_export(directory):
    """Returns (recipe, rows) where each row has file, actor, label, logmel [frames, n_mels]."""
    directory = Path(directory)
    recipe = json.loads((directory / "recipe.json").read_text())
    n = recipe["n_mels"]
    data = np.fromfile(directory / "logmel.f32", dtype=np.float32)
    rows = []
    for line in (directory / "index.jsonl").read_text().splitlines():
        r = json.loads(line)
        rel = "/".join(Path(r["file"]).parts[-2:])
        if rel in DUPLICATES:
            continue
        parts = Path(r["file"]).stem.split("-")
        m = data[r["offset"]: r["offset"] + r["frames"] * n].reshape(r["frames"], n)
        rows.append({"file": rel, "segment": r["segment"], "actor": int(parts[6]),
                     "label": CLASSES.index(EMOTIONS[parts[2]]), "logmel": m})
    return recipe, rows


def model_input(logmel, frames, mean, std, log_floor):
    """[n_mels, frames] float32, as Swift's VocalExpressionModelSpec.input."""
    count, n = logmel.shape
    pad = np.float32((np.log(log_floor) - mean) / std)
    out = np.full((n, frames), pad, dtype=np.float32)
    used = min(count, frames)
    src, dst = (count - used) // 2, (frames - used) // 2
    out[:, dst:dst + used] = ((logmel[src:src + used] - np.float32(mean)) / np.float32(std)).T
    return out


def hz_to_mel(f):
    return 2595 * np.log10(1 + f / 700)


def mel_to_hz(m):
    return 700 * (10 ** (m / 2595) - 1)


def filterbank(r):
    bins = r["n_fft"] // 2 + 1
    lo, hi = hz_to_mel(r["f_min"]), hz_to_mel(r["f_max"])
    edges = mel_to_hz(lo + (hi - lo) * np.arange(r["n_mels"] + 2) / (r["n_mels"] + 1))
    freqs = np.arange(bins) * r["sample_rate"] / r["n_fft"]
    fb = np.zeros((r["n_mels"], bins))
    for m in range(r["n_mels"]):
        l, c, rr = edges[m], edges[m + 1], edges[m + 2]
        up = (freqs - l) / (c - l)
        down = (rr - freqs) / (rr - c)
        fb[m] = np.where((freqs > l) & (freqs < rr), np.where(freqs <= c, up, down), 0)
    return fb


def logmel_numpy(x, r):
    """The recipe of Sources/MienVoice/DSP/LogMelRecipe.swift in numpy (float64), frames × n_mels."""
    win, hop = r["win_length"], r["hop_length"]
    if len(x) < win:
        return np.zeros((0, r["n_mels"]))
    count = 1 + (len(x) - win) // hop
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    idx = np.arange(win)[None, :] + hop * np.arange(count)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * w, n=r["n_fft"])) ** 2
    return np.log(spec @ filterbank(r).T + r["log_floor"])


# --- Segmentation: a port of VoiceActivityDetector + VoiceStream (Sources/MienVoice/Prosody) for training speed.
# check_port.py compares it with Swift's own export; the ONNX parity test checks the end-to-end inputs.
SEGMENTATION = {"closing_frames": 50, "max_frames": 300, "min_speech_frames": 15, "pad_frames": 10,
                "vad_history": 300, "vad_margin_db": 12.0, "vad_floor_db": -55.0, "vad_floor_cap_db": -50.0}


def frame_levels(x, r):
    win, hop = r["win_length"], r["hop_length"]
    if len(x) < win:
        return np.zeros(0)
    count = 1 + (len(x) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(count)[:, None]
    e = (x[idx].astype(np.float64) ** 2).sum(1)
    with np.errstate(divide="ignore"):
        lv = np.where(e > 0, np.maximum(-100, 10 * np.log10(e / win)), -100.0)
    return lv


def vad(levels, s=SEGMENTATION):
    out = np.zeros(len(levels), dtype=bool)
    for i, lv in enumerate(levels):
        floor = min(s["vad_floor_cap_db"], levels[max(0, i - s["vad_history"] + 1): i + 1].min())
        out[i] = lv > max(s["vad_floor_db"], floor + s["vad_margin_db"])
    return out


def segments(speech, s=SEGMENTATION):
    """List of (start_frame, frame_count) exactly as VoiceStream emits them."""
    pad, gap, maxf, mins = s["pad_frames"], s["closing_frames"], s["max_frames"], s["min_speech_frames"]
    out, recent, seg, last = [], [], None, 0

    def emit(seg, last_idx):
        nonlocal recent
        frames, sp = seg
        keep = min(len(frames), last_idx + 1 + pad)
        if keep < len(frames):
            recent = frames[max(keep, len(frames) - pad):]
            frames, sp = frames[:keep], sp[:keep]
        if sum(sp) >= mins:
            out.append((frames[0], len(frames)))

    for f, sflag in enumerate(speech):
        if seg is not None:
            seg[0].append(f)
            seg[1].append(bool(sflag))
            if sflag:
                last = len(seg[0]) - 1
            if len(seg[0]) - 1 - last >= gap:
                emit(seg, last)
                seg = None
            elif len(seg[0]) >= maxf:
                emit(seg, len(seg[0]) - 1 - pad)
                seg = None
        elif sflag:
            seg = (recent + [f], [False] * len(recent) + [True])
            recent = []
            last = len(seg[0]) - 1
        else:
            recent = (recent + [f])[-pad:] if pad > 0 else []
    if seg is not None:
        emit(seg, last)
    return out


def clip_segments(x, r):
    """[(start_frame, logmel[frames, n_mels])] for a clip of 16 kHz mono float samples."""
    lm = logmel_numpy(x, r)
    return [(st, lm[st:st + n]) for st, n in segments(vad(frame_levels(x, r)))]
