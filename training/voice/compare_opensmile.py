"""Compares Mien's prosody (mien voice --json --measures-only, whole-file summary) with openSMILE eGeMAPSv02
functionals on 20 RAVDESS clips, and writes the per-measure correlations to training/voice/opensmile_comparison.json.

    .venv-voice/bin/python training/voice/compare_opensmile.py --mien .build/release/mien

openSMILE (PyPI `opensmile`) is used only here, as a reference; Mien never imports it.
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import opensmile

# Mien summary field → (eGeMAPS functional, how the two relate)
PAIRS = {
    "f0SemitoneMean": ("F0semitoneFrom27.5Hz_sma3nz_amean", "same definition"),
    "f0_cv": ("F0semitoneFrom27.5Hz_sma3nz_stddevNorm", "Mien f0SemitoneSD / f0SemitoneMean"),
    "f0RangeSemitones": ("F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2", "20th–80th percentile range"),
    "loudness": ("loudness_sma3_amean", "mel^0.3 sum vs auditory-band loudness; Mien over speech only"),
    "levelDBFS": ("equivalentSoundLevel_dBp", "RMS level of speech vs equivalent level of the file"),
    "syllableRate": ("loudnessPeaksPerSec", "nuclei per speech second vs loudness peaks per file second"),
    "nuclei_per_file_second": ("loudnessPeaksPerSec", "Mien nuclei / file duration: the same denominator"),
    "jitterPercent": ("jitterLocal_sma3nz_amean", "Mien % vs fraction"),
    "shimmerDB": ("shimmerLocaldB_sma3nz_amean", "same definition"),
    "hnrDB": ("HNRdBACF_sma3nz_amean", "same definition"),
    "spectralSlope0to500": ("slopeV0-500_sma3nz_amean", "dB/kHz vs eGeMAPS units"),
    "spectralSlope500to1500": ("slopeV500-1500_sma3nz_amean", "dB/kHz vs eGeMAPS units"),
}


def clips(root, n=20):
    files = sorted(Path(root).glob("Actor_*/*.flac"))
    step = len(files) // n
    return [files[i * step + (i * 7) % step] for i in range(n)]  # spread over actors, emotions and statements


def mien_summary(binary, path, audit):
    out = subprocess.run([binary, "voice", str(path), "--json", "--measures-only", "--audit-db", audit],
                         check=True, capture_output=True, text=True).stdout
    doc = json.loads(out)
    s = doc["summary"]
    if s.get("syllableRate") is not None:
        s["nuclei_per_file_second"] = s["syllableRate"] * s["speechSeconds"] / doc["duration"]
    if s.get("f0SemitoneSD") is not None and s.get("f0SemitoneMean"):
        s["f0_cv"] = s["f0SemitoneSD"] / s["f0SemitoneMean"]
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/voice/ravdess")
    ap.add_argument("--mien", default=".build/debug/mien")
    ap.add_argument("--out", default="training/voice/opensmile_comparison.json")
    args = ap.parse_args()
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.Functionals)
    files = clips(args.data)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        audit = str(Path(tmp) / "audit.sqlite")
        for f in files:
            ours.append(mien_summary(args.mien, f, audit))
            theirs.append(smile.process_file(str(f)).iloc[0].to_dict())
    result = {"clips": [f"{f.parent.name}/{f.name}" for f in files], "measures": {}}
    for key, (ref, note) in PAIRS.items():
        pairs = [(o.get(key), t[ref]) for o, t in zip(ours, theirs) if o.get(key) is not None]
        a = np.array([p[0] for p in pairs], dtype=float)
        b = np.array([p[1] for p in pairs], dtype=float)
        r = float(np.corrcoef(a, b)[0, 1]) if len(pairs) >= 3 else None
        rank = lambda v: np.argsort(np.argsort(v))
        rho = float(np.corrcoef(rank(a), rank(b))[0, 1]) if len(pairs) >= 3 else None
        result["measures"][key] = {"egemaps": ref, "n": len(pairs), "pearson_r": r, "spearman_rho": rho,
                                   "mien_mean": float(a.mean()), "egemaps_mean": float(b.mean()), "note": note}
        print(f"{key:24s} {ref:42s} n={len(pairs):2d} r={r:+.2f} rho={rho:+.2f}  mien {a.mean():8.3f}  eGeMAPS {b.mean():8.3f}")
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
