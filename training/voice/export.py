"""Exports the final vocal-expression model to ONNX (opset 13, runs in OpenCV 4.6 DNN), writes the JSON spec beside
it, and the parity fixture the Swift test checks (expected logits of a few RAVDESS clips, |diff| < 1e-3).

    .venv-voice/bin/python training/voice/export.py --run training/runs/v2/cv --data ../shared/data/voice/ravdess
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import soundfile as sf
import torch

import features
from model import VoiceCNN
from train import FRAMES, RECIPE

PARITY_CLIPS = ["Actor_01/03-01-05-02-01-01-01.flac", "Actor_12/03-01-03-01-02-01-12.flac",
                "Actor_19/03-01-04-02-02-02-19.flac", "Actor_24/03-01-08-01-01-02-24.flac"]
NAME = "mien-voice-cnn-ravdess-v2"


def strip_identity(path):
    """OpenCV 4.6 cannot parse an Identity whose input is an initializer (the exporter emits one for shared
    weights): rename its output to its input everywhere and drop the node."""
    m = onnx.load(str(path))
    g = m.graph
    for node in [n for n in g.node if n.op_type == "Identity"]:
        src, dst = node.input[0], node.output[0]
        g.node.remove(node)
        for n in g.node:
            for i, name in enumerate(n.input):
                if name == dst:
                    n.input[i] = src
        for o in g.output:
            if o.name == dst:
                o.name = src
    onnx.save(m, str(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="training/runs/v2/cv")
    ap.add_argument("--data", default="../shared/data/voice/ravdess")
    ap.add_argument("--models", default="Models")
    ap.add_argument("--fixture", default="Tests/MienVoiceTests/Fixtures/voice_parity.json")
    args = ap.parse_args()
    run = Path(args.run)
    ckpt = torch.load(run / "final.pt")
    cv = json.loads((run / "cv_report.json").read_text())
    width = tuple(ckpt.get("config", {}).get("width", (16, 32, 64, 64)))
    model = VoiceCNN(n_mels=RECIPE["n_mels"], frames=FRAMES, width=width)
    model.load_state_dict(ckpt["state"])
    model.eval()
    onnx_path = Path(args.models) / "voice_expression.onnx"
    dummy = torch.zeros(1, 1, RECIPE["n_mels"], FRAMES)
    torch.onnx.export(model, dummy, str(onnx_path), opset_version=13, input_names=["logmel"],
                      output_names=["logits"], do_constant_folding=True, dynamo=False)
    strip_identity(onnx_path)
    onnx.checker.check_model(onnx.load(str(onnx_path)))
    ops = sorted({n.op_type for n in onnx.load(str(onnx_path)).graph.node})
    session = onnxruntime.InferenceSession(str(onnx_path))

    mean, std = ckpt["mean"], ckpt["std"]
    fixture = {"model": NAME, "tolerance": 1e-3, "clips": []}
    worst = 0.0
    for rel in PARITY_CLIPS:
        x, _ = sf.read(Path(args.data) / rel, dtype="float32")
        segs = []
        for start, lm in features.clip_segments(x, RECIPE):
            inp = features.model_input(lm.astype(np.float32), FRAMES, mean, std, RECIPE["log_floor"])[None, None]
            with torch.no_grad():
                logits = model(torch.from_numpy(inp)).numpy()[0]
            ort = session.run(None, {"logmel": inp})[0][0]
            worst = max(worst, float(np.abs(ort - logits).max()))
            segs.append({"start_frame": int(start), "frames": int(len(lm)), "logits": [float(v) for v in logits]})
        fixture["clips"].append({"file": rel, "segments": segs})
    Path(args.fixture).parent.mkdir(parents=True, exist_ok=True)
    Path(args.fixture).write_text(json.dumps(fixture, indent=1))

    seg, clip = cv["per_segment"], cv["per_clip"]
    spec = {
        "schema": "mien-voice-model/1", "name": NAME, "onnx": onnx_path.name,
        "input_name": "logmel", "output_name": "logits", "frames": FRAMES, "features": RECIPE,
        "mean": mean, "std": std, "classes": features.CLASSES,
        "temperature": round(cv["temperature"], 4), "abstain_threshold": cv["abstain"]["threshold"],
        "segmentation": features.SEGMENTATION,
        "onnx_ops": ops,
        "evaluation": {"protocol": cv["protocol"] + "; speaker-independent (no actor in both train and test)",
                       "per_clip_accuracy": round(clip["accuracy"], 4), "per_clip_macro_f1": round(clip["macro_f1"], 4),
                       "per_segment_accuracy": round(seg["accuracy"], 4),
                       "ece_before": round(seg["ece_before"], 4), "ece_after": round(seg["ece_after"], 4),
                       "per_fold": cv.get("per_fold"), "abstain": cv["abstain"]},
        "basis": "vocal expression; not a measure of felt emotion",
        "licence": "weights CC BY-NC-SA 4.0 (trained on RAVDESS, Livingstone & Russo 2018): non-commercial use only",
    }
    (Path(args.models) / "voice_expression.json").write_text(json.dumps(spec, indent=2) + "\n")
    print(json.dumps({"onnx": str(onnx_path), "ops": ops, "onnxruntime_vs_torch_max_abs": worst,
                      "bytes": onnx_path.stat().st_size}))


if __name__ == "__main__":
    main()
