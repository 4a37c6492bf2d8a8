"""Writes a compact copy of the Training and PublicTest rows to training/cache/fer2013_packed (git-ignored),
small enough to travel with the working tree to a GPU machine, where ../shared is not mounted.
PrivateTest stays behind: it is only evaluated here, once, by export.py."""
import lzma
import io
import shutil

import numpy as np

from data import DEFAULT_DATA, PACKED_DATA, load_table

X, df = load_table(DEFAULT_DATA)
n = int((df["split"] != "PrivateTest").sum())   # splits are contiguous: Training, PublicTest, PrivateTest
assert (df["split"].iloc[:n] != "PrivateTest").all()
PACKED_DATA.mkdir(parents=True, exist_ok=True)
buf = io.BytesIO()
np.save(buf, X[:n])
filters = [{"id": lzma.FILTER_DELTA, "dist": 1}, {"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
(PACKED_DATA / "pixels_00.npy.xz").write_bytes(lzma.compress(buf.getvalue(), format=lzma.FORMAT_XZ, filters=filters))
df.iloc[:n].to_csv(PACKED_DATA / "labels.csv", index=False)
print(n, "rows ->", PACKED_DATA, sum(p.stat().st_size for p in PACKED_DATA.iterdir()) / 2**20, "MiB")
