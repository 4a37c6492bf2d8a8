"""FER2013 pixels with the FER+ crowd votes, loaded from ../shared/data/fer2013 (see its README).

Two label sets per row:
- `ferplus_soft`: the 8 FER+ emotion votes normalised to a distribution (the FER+ head's target);
  `ferplus_valid` is False where the vote majority is "unknown" or "NF" (not a face), or there are no votes.
- `fer2013`: the original 7-class FER2013 label (the FER2013 head's target).
"""
from __future__ import annotations

import io
import lzma
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "fer2013"
# A compact copy (pack_data.py) that travels to a GPU machine, where ../shared does not.
PACKED_DATA = REPO / "training" / "cache" / "fer2013_packed"

FERPLUS_CLASSES = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]
FER2013_CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
VOTE_COLUMNS = FERPLUS_CLASSES + ["unknown", "NF"]


@dataclass
class Split:
    name: str
    rows: np.ndarray           # row index into the full 35,887-row table
    pixels: np.ndarray         # (n, 48, 48) uint8
    ferplus_soft: np.ndarray   # (n, 8) float32, rows sum to 1 where valid
    ferplus_valid: np.ndarray  # (n,) bool
    ferplus_major: np.ndarray  # (n,) int64 majority over the 10 vote columns (ties: first column), -1 if invalid
    fer2013: np.ndarray        # (n,) int64

    def __len__(self) -> int:
        return len(self.rows)


def _labels(df: pd.DataFrame):
    votes = df[VOTE_COLUMNS].to_numpy(dtype=np.float32)
    major = votes.argmax(1)                       # np.argmax breaks ties towards the first column, as FER+ does
    emo = votes[:, :8]
    valid = (major < 8) & (emo.sum(1) > 0)
    soft = np.where(valid[:, None], emo / np.maximum(emo.sum(1, keepdims=True), 1e-9), 0).astype(np.float32)
    return soft, valid, np.where(valid, major, -1).astype(np.int64), df["fer2013_label"].to_numpy(np.int64)


def load_table(data_dir: Path | None = None):
    """Returns (pixels (N,48,48) uint8, labels DataFrame) for every row found."""
    if data_dir is None:
        data_dir = DEFAULT_DATA if (DEFAULT_DATA / "labels.csv").exists() else PACKED_DATA
    data_dir = Path(data_dir)
    labels = data_dir / "labels.csv"
    if not labels.exists() and (data_dir / "labels.csv.xz").exists():   # pack_data.py --training-only
        labels = data_dir / "labels.csv.xz"
    if not labels.exists():
        raise FileNotFoundError(
            f"{labels} is missing: point --data at the fer2013 folder of ../shared/data "
            f"(or run training/pack_data.py to make {PACKED_DATA})")
    df = pd.read_csv(labels, keep_default_na=False)
    parts = sorted(data_dir.glob("pixels_*.npy.xz"))
    if not parts:
        raise FileNotFoundError(f"no pixels_*.npy.xz in {data_dir}")
    X = np.concatenate([np.load(io.BytesIO(lzma.decompress(p.read_bytes()))) for p in parts])
    if len(X) != len(df):
        df = df.iloc[: len(X)]  # a packed copy may hold only the first splits (Training, PublicTest)
    return X, df


def load_splits(data_dir: Path | None = None, names=("Training", "PublicTest", "PrivateTest")) -> dict[str, Split]:
    X, df = load_table(data_dir)
    soft, valid, major, fer = _labels(df)
    out = {}
    for name in names:
        m = (df["split"] == name).to_numpy()
        if not m.any():
            continue
        rows = np.flatnonzero(m)
        out[name] = Split(name, rows, X[rows], soft[rows], valid[rows], major[rows], fer[rows])
    return out
