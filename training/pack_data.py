"""Writes a compact copy of the Training and PublicTest rows to training/cache/fer2013_packed (git-ignored),
small enough to travel with the working tree to a GPU machine, where ../shared is not mounted.
PrivateTest stays behind: it is only evaluated here, once, by export.py.

    python training/pack_data.py                  # Training + PublicTest (55 MB)
    python training/pack_data.py --training-only  # Training alone, labels xz-compressed (47 MB): leaves room in the
                                                  # 64 MiB that travels for a teacher packed by pack_teacher.py
"""
import argparse
import lzma
import io

import numpy as np

from data import DEFAULT_DATA, PACKED_DATA, VOTE_COLUMNS, load_table

ap = argparse.ArgumentParser()
ap.add_argument("--training-only", action="store_true")
args = ap.parse_args()
X, df = load_table(DEFAULT_DATA)
last = "Training" if args.training_only else "PublicTest"
n = int(df["split"].isin(["Training", "PublicTest"][: 1 if args.training_only else 2]).sum())
# splits are contiguous: Training, PublicTest, PrivateTest
assert (df["split"].iloc[:n] != "PrivateTest").all() and df["split"].iloc[n - 1] == last
out = PACKED_DATA.with_name("fer2013_training") if args.training_only else PACKED_DATA
out.mkdir(parents=True, exist_ok=True)
buf = io.BytesIO()
np.save(buf, X[:n])
filters = [{"id": lzma.FILTER_DELTA, "dist": 1}, {"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
(out / "pixels_00.npy.xz").write_bytes(lzma.compress(buf.getvalue(), format=lzma.FORMAT_XZ, filters=filters))
if args.training_only:
    df.iloc[:n][["split", "fer2013_label"] + VOTE_COLUMNS].to_csv(out / "labels.csv.xz", index=False)
else:
    df.iloc[:n].to_csv(out / "labels.csv", index=False)
print(n, "rows ->", out, sum(p.stat().st_size for p in out.iterdir()) / 2**20, "MiB")
