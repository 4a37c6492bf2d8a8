"""Optional: MediaPipe 0.10.21's own Pose solution (static images, model_complexity=1 = pose_landmark_full) on the
samples and frames of the sample video, against the reference pipeline (pose.py on the ONNX files).

    .venv-mp/bin/python training/pose/compare_mediapipe.py     # venv as in training/blazeface/requirements-mediapipe.txt

MediaPipe keeps only its best detection (one person per image), so each image's first person is compared.
Writes training/pose/mediapipe_compare.json: per image, the largest and median keypoint distance in pixels, also as a
fraction of the shoulder width, for the variants of the crop border and heatmap refinement (the choice in pose.py is
the one that matches MediaPipe best).
"""
from __future__ import annotations

import json
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pose  # noqa: E402
from convert import real_images  # noqa: E402  (numpy/cv2 only at import)


def main() -> int:
    import mediapipe as mp
    cv2.setNumThreads(1)
    variants = {
        "replicate+refine": pose.PoseModels(refine_heatmap=True, border=cv2.BORDER_REPLICATE),
        "zero+refine": pose.PoseModels(refine_heatmap=True, border=cv2.BORDER_CONSTANT),
        "replicate, no refine": pose.PoseModels(refine_heatmap=False, border=cv2.BORDER_REPLICATE),
    }
    out = {"mediapipe": mp.__version__, "images": {}}
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False) as mpp:
        for name, bgr in real_images():
            h, w = bgr.shape[:2]
            res = mpp.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if res.pose_landmarks is None:
                out["images"][name] = {"mediapipe": "no person"}
                print(f"{name}: MediaPipe finds no person")
                continue
            # MediaPipe's normalised coordinates are continuous; pose.py gives pixel indices
            ref = np.array([[p.x * w - 0.5, p.y * h - 0.5, p.visibility] for p in res.pose_landmarks.landmark])
            shoulder = float(np.hypot(*(ref[11, :2] - ref[12, :2])))
            row = {"shoulder_width_px": round(shoulder, 1)}
            for label, pm in variants.items():
                people = pm.people(bgr, max_people=1)
                if not people:
                    row[label] = "no person"
                    continue
                d = np.hypot(*(people[0].points[:, :2] - ref[:, :2]).T)
                dv = np.abs(people[0].points[:, 3] - ref[:, 2])
                row[label] = {"max_px": round(float(d.max()), 2), "median_px": round(float(np.median(d)), 2),
                              "max_per_shoulder_width": round(float(d.max() / shoulder), 4),
                              "worst_point": pose.NAMES[int(d.argmax())],
                              "max_visibility_diff": round(float(dv.max()), 4)}
            out["images"][name] = row
            print(name, json.dumps(row))
    with open(os.path.join(HERE, "mediapipe_compare.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
