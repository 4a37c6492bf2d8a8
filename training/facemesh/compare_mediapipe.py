"""End-to-end check against MediaPipe's own FaceLandmarker (mediapipe 0.10.21, image mode, the pinned .task).

    .venv-mp/bin/python training/facemesh/compare_mediapipe.py     # after convert.py (it extracts the .task)
    .venv-mp/bin/python training/facemesh/compare_mediapipe.py --video Samples/pexels_wolfgang_langer_3063838_expressions.mp4 --frames 60

Compares, per sample face that both find, MediaPipe's 478 landmarks and 52 blendshapes with Mien's reference
pipeline (Tests/Fixtures/facemesh/reference.json: Mien's crop from the BlazeFace keypoints, the TFLite models; the
Swift/OpenCV stages match it to 0.025 px and 0.005, FaceMeshTests). The difference measured here is the crop:
MediaPipe's comes from its own short-range detector's box, Mien's from the keypoints (meshcrop.py).
Writes training/facemesh/mediapipe_compare.json.

With --video, every frame (up to --frames) is run through both: MediaPipe in image mode (detection on every frame)
and Mien's reference computed here with the committed ONNX files in OpenCV DNN (equal to TFLite within 0.0004 px,
convert.py) from the BlazeFace full-range detection (short range when full finds none), as `mien analyze` does.
Writes training/facemesh/mediapipe_compare_video.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TASK = os.path.join(ROOT, ".whl", "facemesh-work", "face_landmarker.task")
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "facemesh", "reference.json")


def reference_faces(bgr, det_full, det_short, mesh_net, blend_net, short_first=False):
    """Mien's pipeline in Python: BlazeFace -> MediaPipe crop from the box -> mesh -> blendshapes (OpenCV DNN)."""
    sys.path.insert(0, HERE)
    import meshcrop
    faces = []
    first, second = (det_short, det_full) if short_first else (det_full, det_short)
    for d in first.detect(bgr) or second.detect(bgr):
        rgb, back = meshcrop.crop(bgr, d.keypoints, d.box)
        mesh_net.setInput(np.ascontiguousarray((rgb.astype(np.float32) / 255).transpose(2, 0, 1)[None]), "input")
        lm, pr = mesh_net.forward(["landmarks", "presence"])
        if 1 / (1 + np.exp(-float(pr.reshape(-1)[0]))) < 0.5:
            continue
        pts = meshcrop.to_image(lm.reshape(-1, 3)[:, :2], back)
        blend_net.setInput(pts[meshcrop.BLEND_INDICES].astype(np.float32).reshape(1, -1, 1, 1), "points")
        faces.append((pts, blend_net.forward("blendshapes").reshape(-1)))
    return faces


def compare_video(landmarker, path: str, frames: int, short_first: bool = False) -> int:
    import cv2
    import mediapipe as mp
    sys.path.insert(0, os.path.join(HERE, "..", "blazeface"))
    import decode as bf
    models = os.path.join(ROOT, "Models")
    full, short = bf.BlazeFace("full", models), bf.BlazeFace("short", models)
    mesh_net = cv2.dnn.readNetFromONNX(os.path.join(models, "face_landmarks_478.onnx"))
    blend_net = cv2.dnn.readNetFromONNX(os.path.join(models, "face_blendshapes.onnx"))
    cap = cv2.VideoCapture(path)
    rows, n, both, only_mien, only_mp = [], 0, 0, 0, 0
    while n < frames:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        res = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB,
                                         data=np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
        theirs = [(np.array([[p.x * w, p.y * h] for p in lm]), np.array([c.score for c in bs]))
                  for lm, bs in zip(res.face_landmarks, res.face_blendshapes)]
        ours = reference_faces(bgr, full, short, mesh_net, blend_net, short_first)
        used = set()
        for pts, bl in ours:
            iod = np.linalg.norm(pts[468] - pts[473])
            cands = [i for i in range(len(theirs)) if i not in used
                     and np.linalg.norm(theirs[i][0][1] - pts[1]) < 0.5 * iod]
            if not cands:
                only_mien += 1
                continue
            i = cands[0]
            used.add(i)
            both += 1
            d = np.linalg.norm(theirs[i][0] - pts, axis=1)
            rows.append({"frame": n, "mean_landmark_px": round(float(d.mean()), 3),
                         "mean_landmark_per_iod": round(float(d.mean() / iod), 4),
                         "max_blendshape_diff": round(float(np.abs(theirs[i][1] - bl).max()), 4)})
        only_mp += len(theirs) - len(used)
        n += 1
    px = np.array([r["mean_landmark_px"] for r in rows])
    bd = np.array([r["max_blendshape_diff"] for r in rows])
    summary = {"video": os.path.basename(path), "frames": n,
               "detector": "short range first (MediaPipe's)" if short_first else "full range first (Mien's)", "faces_both": both, "faces_only_mien": only_mien,
               "faces_only_mediapipe": only_mp,
               "mean_landmark_px": {"median": round(float(np.median(px)), 3), "p90": round(float(np.percentile(px, 90)), 3),
                                    "max": round(float(px.max()), 3)} if len(px) else None,
               "max_blendshape_diff": {"median": round(float(np.median(bd)), 4), "p90": round(float(np.percentile(bd, 90)), 4),
                                       "max": round(float(bd.max()), 4)} if len(bd) else None}
    print(json.dumps(summary, indent=1))
    name = "mediapipe_compare_video_short.json" if short_first else "mediapipe_compare_video.json"
    with open(os.path.join(HERE, name), "w") as fh:
        json.dump({"summary": summary, "faces": rows}, fh, indent=1)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--short-first", action="store_true",
                    help="crop from the short-range detector, as MediaPipe's FaceLandmarker does (an experiment)")
    args = ap.parse_args()
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
    if args.video:
        return compare_video(landmarker, args.video, args.frames, args.short_first)
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
