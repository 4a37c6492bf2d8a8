"""Optional end-to-end check: MediaPipe's own FaceDetection solution vs. Mien's ONNX models + decode.py.

Needs a separate environment, because mediapipe wants protobuf 4 and tf2onnx wants protobuf 3:

    python3 -m venv .venv-mp
    .venv-mp/bin/pip install --no-deps .whl/mediapipe-0.10.21-*.whl      # the wheel convert.py downloaded
    .venv-mp/bin/pip install -r training/blazeface/requirements-mediapipe.txt
    .venv-mp/bin/python training/blazeface/compare_mediapipe.py [IMAGE...]

For each image and model it matches MediaPipe's detections to ours (IoU) and prints the largest box and keypoint
differences in pixels and the score differences. Writes training/blazeface/mediapipe_compare.json.
"""
from __future__ import annotations

import glob
import json
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import decode as bf  # noqa: E402

SAMPLES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "samples"))


def mediapipe_detect(fd, bgr):
    h, w = bgr.shape[:2]
    res = fd.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    out = []
    for d in res.detections or []:
        bb = d.location_data.relative_bounding_box
        box = np.array([bb.xmin * w, bb.ymin * h, (bb.xmin + bb.width) * w, (bb.ymin + bb.height) * h])
        kps = np.array([[k.x * w, k.y * h] for k in d.location_data.relative_keypoints])
        out.append((float(d.score[0]), box, kps))
    return sorted(out, key=lambda t: -t[0])


def main(argv):
    import mediapipe as mp

    images = argv or sorted(glob.glob(os.path.join(SAMPLES, "*.jpg")) + glob.glob(os.path.join(SAMPLES, "*.png")))
    report = {"mediapipe": mp.__version__, "opencv": cv2.__version__, "images": {}}
    worst = 0.0
    for sel, key in ((0, "short"), (1, "full")):
        ours = bf.BlazeFace(key)
        with mp.solutions.face_detection.FaceDetection(min_detection_confidence=0.5, model_selection=sel) as fd:
            for path in images:
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                ref = mediapipe_detect(fd, img)
                got = ours.detect(img)
                name = os.path.basename(path)
                rows = []
                for s, box, kps in ref:
                    best = max(got, key=lambda d: bf.iou(d.box, box), default=None)
                    if best is None or bf.iou(best.box, box) < 0.5:
                        rows.append({"mediapipe_score": round(s, 3), "matched": False})
                        continue
                    side = box[2] - box[0]
                    db = float(np.abs(best.box - box).max())
                    dk = float(np.abs(best.keypoints - kps).max())
                    worst = max(worst, db / side)
                    rows.append({"mediapipe_score": round(s, 3), "ours_score": round(best.score, 3),
                                 "iou": round(bf.iou(best.box, box), 3), "box_max_px": round(db, 2),
                                 "box_side_px": round(float(side), 1), "keypoint_max_px": round(dk, 2),
                                 "mediapipe_box": [round(float(v), 1) for v in box],
                                 "ours_box": [round(float(v), 1) for v in best.box]})
                report["images"].setdefault(name, {})[key] = {"mediapipe_faces": len(ref), "ours_faces": len(got),
                                                              "matches": rows}
                print(f"[{key}] {name}: MediaPipe {len(ref)} face(s), ours {len(got)}")
                for r in rows:
                    if r["matched"] if "matched" in r else True:
                        print(f"    score mp {r['mediapipe_score']:.3f} ours {r['ours_score']:.3f}  IoU {r['iou']:.3f}"
                              f"  box |d| {r['box_max_px']:.1f} px of {r['box_side_px']:.0f}"
                              f"  keypoints |d| {r['keypoint_max_px']:.1f} px")
                    else:
                        print(f"    MediaPipe face (score {r['mediapipe_score']:.3f}) has no match in ours")
    report["worst_box_diff_relative_to_side"] = round(worst, 4)
    out = os.path.join(HERE, "mediapipe_compare.json")
    with open(out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"largest box corner difference: {worst * 100:.1f}% of the face box side; wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
