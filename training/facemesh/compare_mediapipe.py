"""End-to-end check against MediaPipe's own FaceLandmarker (mediapipe 0.10.21, image mode, the pinned .task).

    .venv-mp/bin/python training/facemesh/compare_mediapipe.py     # after convert.py (it extracts the .task)

Compares, per sample face that both find, MediaPipe's 478 landmarks and 52 blendshapes with Mien's reference
pipeline (Tests/Fixtures/facemesh/reference.json: Mien's crop from the BlazeFace keypoints, the TFLite models; the
Swift/OpenCV stages match it to 0.025 px and 0.005, FaceMeshTests). The difference measured here is the crop:
MediaPipe's comes from its own short-range detector's box, Mien's from the keypoints (meshcrop.py).
Writes training/facemesh/mediapipe_compare.json.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TASK = os.path.join(ROOT, ".whl", "facemesh-work", "face_landmarker.task")
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "facemesh", "reference.json")


def main() -> int:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks import python as mpt
    from mediapipe.tasks.python import vision

    if not os.path.exists(TASK):
        raise SystemExit(f"{TASK} missing: run training/facemesh/convert.py first (it extracts and checks it)")
    opts = vision.FaceLandmarkerOptions(base_options=mpt.BaseOptions(model_asset_path=TASK),
                                        running_mode=vision.RunningMode.IMAGE, num_faces=10,
                                        output_face_blendshapes=True)
    landmarker = vision.FaceLandmarker.create_from_options(opts)
    reference = json.load(open(FIXTURE))["faces"]
    out, rows = {"mediapipe": mp.__version__, "faces": []}, []
    for image in sorted({f["image"] for f in reference}):
        bgr = cv2.imread(os.path.join(ROOT, "Samples", image), cv2.IMREAD_COLOR)
        h, w = bgr.shape[:2]
        res = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB,
                                         data=np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
        found = [np.array([[p.x * w, p.y * h] for p in lm]) for lm in res.face_landmarks]
        shapes = [np.array([c.score for c in bs]) for bs in res.face_blendshapes]
        for f in (f for f in reference if f["image"] == image):
            ours = np.array(f["landmarks"])
            iod = np.linalg.norm(ours[468] - ours[473])
            best = min(range(len(found)), key=lambda i: np.linalg.norm(found[i][1] - ours[1]), default=None)
            if best is None or np.linalg.norm(found[best][1] - ours[1]) > 0.5 * iod:
                rows.append(f"{image}#{f['index']}: MediaPipe found no face here")
                out["faces"].append({"face": f"{image}#{f['index']}", "mediapipe_found": False})
                continue
            d = np.linalg.norm(found[best] - ours, axis=1)
            bd = np.abs(shapes[best] - np.array(f["blendshapes"]))
            worst = int(np.argmax(bd))
            out["faces"].append({"face": f"{image}#{f['index']}", "mediapipe_found": True,
                                 "mean_landmark_px": round(float(d.mean()), 3),
                                 "mean_landmark_per_iod": round(float(d.mean() / iod), 4),
                                 "max_blendshape_diff": round(float(bd.max()), 4), "worst_blendshape": worst,
                                 "iris_distance_px": round(float(iod), 1)})
            rows.append(f"{image}#{f['index']}: mean landmark difference {d.mean():.2f} px "
                        f"({100 * d.mean() / iod:.1f}% of the iris distance {iod:.0f} px); max blendshape "
                        f"difference {bd.max():.3f} (index {worst})")
    print("\n".join(rows))
    with open(os.path.join(HERE, "mediapipe_compare.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
