"""Reference pipeline for Mien's pose models (Models/pose_detection.onnx, Models/pose_landmark_full.onnx).

The executable form of Models/POSE.md: `Sources/MienVision/BodyLandmarker.swift` reproduces these steps and its test
compares with the points this file writes (Tests/Fixtures/pose/reference.json). Needs only numpy and OpenCV.

    python pose.py IMAGE...                     # persons and their 33 keypoints, printed
    python pose.py --annotate out/ IMAGE...

Pipeline (MediaPipe pose_detection + pose_landmark graphs, mediapipe==0.10.21, re-implemented):
  1. letterbox the image to 224 x 224 (as BlazeFace: centred square of side max(W, H), black outside), RGB in [-1, 1]
  2. forward -> "regressors" [1, 2254, 12], "classificators" [1, 2254, 1]; score = sigmoid(clip(logit, ±100))
  3. decode a box and 4 keypoints per anchor (SSD anchors: 5 layers, strides 8,16,32,32,32, fixed size), keep
     score >= 0.5, weighted NMS at IoU 0.3, undo the letterbox
  4. region of interest (AlignmentPointsRectsCalculator + RectTransformationCalculator): centre = keypoint 0 (hip
     centre), side = 2 x |keypoint 1 - keypoint 0| x 1.25, rotation = 90 deg - angle(keypoint 0 -> keypoint 1)
  5. crop that rotated square to 256 x 256 (bilinear), RGB in [0, 1]; forward -> "landmarks" [1, 195] (39 x x, y, z,
     visibility logit, presence logit in crop pixels), "pose_flag" [1, 1], "heatmap" [1, 64, 64, 39]
  6. refine x, y from the heatmap (RefineLandmarksFromHeatmapCalculator: 7 x 7 window, sigmoid weights, only when the
     window's best weight >= 0.5), then map the first 33 points back to the image
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "Models"))
sys.path.append(os.path.join(HERE, "..", "blazeface"))
import decode as bf  # noqa: E402  (SSD anchors, letterbox, weighted NMS: the same calculators as BlazeFace)

NAMES = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
         "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
         "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
         "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
         "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")

DETECTOR = bf.Spec("pose", "pose_detection.onnx", 224, 2254, (8, 16, 32, 32, 32), 1.0, min_score=0.5)
LANDMARK_FILE = "pose_landmark_full.onnx"
CROP = 256
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5
ROI_SCALE = 1.25
POSE_FLAG_MIN = 0.5  # pose_landmark_by_roi: min_pose_presence_score / the graph's threshold on the pose flag
# the ImageToTensorCalculator of the landmark crop: MediaPipe's default border is BORDER_REPLICATE
BORDER = cv2.BORDER_REPLICATE


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -100.0, 100.0)))


def decode(reg: np.ndarray, cls: np.ndarray, anchors: np.ndarray, spec: bf.Spec):
    """TensorsToDetectionsCalculator with 12 values per anchor: box (xc, yc, w, h) then 4 keypoints."""
    raw = reg.reshape(-1, 12).astype(np.float64)
    scores = sigmoid(cls.reshape(-1))
    s = spec.scale
    ax, ay = anchors[:, 0], anchors[:, 1]
    xc, yc = raw[:, 0] / s + ax, raw[:, 1] / s + ay
    w, h = raw[:, 2] / s, raw[:, 3] / s
    kx, ky = raw[:, 4::2] / s + ax[:, None], raw[:, 5::2] / s + ay[:, None]
    keep = np.nonzero((scores >= spec.min_score) & (w > 0) & (h > 0))[0]
    return [bf.Detection(float(scores[i]), np.array([xc[i] - w[i] / 2, yc[i] - h[i] / 2, xc[i] + w[i] / 2,
                                                     yc[i] + h[i] / 2]), np.stack([kx[i], ky[i]], axis=1))
            for i in keep]


@dataclass
class Roi:
    cx: float      # image coordinates as MediaPipe's (normalised x width)
    cy: float
    side: float
    rotation: float  # radians

    def matrix(self) -> np.ndarray:
        """2x3 map crop point (u, v) -> image point, as MediaPipe's ImageToTensorCalculator (OpenCV) builds it: the
        rotated square's corners (continuous image coordinates) go to the crop's corners (0, 0) … (256, 256) and
        cv2 samples with those numbers as pixel indices. Use with WARP_INVERSE_MAP. Measured against MediaPipe on
        the samples, this convention matters: mapping pixel centres to pixel centres instead moved keypoints by a
        median 3-6 px more (compare_mediapipe.py)."""
        k = self.side / CROP
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        a = np.array([[c * k, -s * k], [s * k, c * k]])
        t = np.array([self.cx, self.cy]) - a @ np.array([CROP / 2, CROP / 2])
        return np.array([[a[0, 0], a[0, 1], t[0]], [a[1, 0], a[1, 1], t[1]]])


def roi_from_detection(kp: np.ndarray) -> Roi:
    """kp: 4 x 2 keypoints in continuous image pixels."""
    (x0, y0), (x1, y1) = kp[0], kp[1]
    side = 2.0 * math.hypot(x1 - x0, y1 - y0) * ROI_SCALE
    rot = math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0)
    rot = rot - 2 * math.pi * math.floor((rot + math.pi) / (2 * math.pi))
    return Roi(float(x0), float(y0), side, rot)


def refine(lm: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """lm: 39 x 5 (x, y in crop pixels); heatmap 64 x 64 x 39 logits. Returns refined copy."""
    out = lm.copy()
    hh, hw, _ = heatmap.shape
    off = (HEATMAP_KERNEL - 1) // 2
    for i in range(lm.shape[0]):
        col, row = int(lm[i, 0] / CROP * hw), int(lm[i, 1] / CROP * hh)
        if col < 0 or col >= hw or row < 0 or row >= hh:
            continue
        r0, r1 = max(0, row - off), min(hh, row + off + 1)
        c0, c1 = max(0, col - off), min(hw, col + off + 1)
        conf = sigmoid(heatmap[r0:r1, c0:c1, i])
        if conf.max() >= HEATMAP_MIN_CONFIDENCE and conf.sum() > 0:
            rr, cc = np.mgrid[r0:r1, c0:c1]
            out[i, 0] = (cc * conf).sum() / conf.sum() / hw * CROP
            out[i, 1] = (rr * conf).sum() / conf.sum() / hh * CROP
    return out


@dataclass
class Person:
    score: float
    box: np.ndarray          # detector box, image pixels (xmin, ymin, xmax, ymax)
    keypoints4: np.ndarray   # detector keypoints, image pixels
    roi: Roi
    pose_flag: float
    points: np.ndarray       # 33 x 5: x, y (image pixel index), z (image pixels), visibility, presence


class PoseModels:
    def __init__(self, models_dir: str = MODELS_DIR, refine_heatmap: bool = True, border=BORDER):
        self.det = cv2.dnn.readNetFromONNX(os.path.join(models_dir, DETECTOR.file))
        self.lmk = cv2.dnn.readNetFromONNX(os.path.join(models_dir, LANDMARK_FILE))
        self.anchors = bf.ssd_anchors(DETECTOR)
        self.refine_heatmap = refine_heatmap
        self.border = border

    def detect(self, bgr: np.ndarray):
        lb_bgr, lb = bf.letterbox_image(bgr, DETECTOR.size)
        self.det.setInput(bf.to_blob(cv2.cvtColor(lb_bgr, cv2.COLOR_BGR2RGB)), "input")
        reg, cls = self.det.forward(["regressors", "classificators"])
        dets = bf.weighted_nms(decode(reg, cls, self.anchors, DETECTOR), DETECTOR.nms_iou)
        return bf.to_image(dets, lb)

    def crop(self, bgr: np.ndarray, roi: Roi) -> np.ndarray:
        crop = cv2.warpAffine(bgr, roi.matrix(), (CROP, CROP), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=self.border)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None])

    def landmarks(self, blob: np.ndarray):
        self.lmk.setInput(blob, "input")
        lm, flag, hm = self.lmk.forward(["landmarks", "pose_flag", "heatmap"])
        return lm.reshape(39, 5), float(flag.reshape(-1)[0]), hm.reshape(64, 64, 39)

    def people(self, bgr: np.ndarray, max_people: int = 4):
        out = []
        for d in self.detect(bgr)[:max_people]:
            roi = roi_from_detection(d.keypoints)
            lm, flag, hm = self.landmarks(self.crop(bgr, roi))
            if self.refine_heatmap:
                lm = refine(lm, hm)
            pts = np.zeros((33, 5))
            m = roi.matrix()
            for i in range(33):
                # MediaPipe's projection (the crop matrix on the model's output), then its continuous coordinates
                # to Mien's pixel-index convention (-0.5)
                u, v = lm[i, 0], lm[i, 1]
                pts[i, 0] = m[0, 0] * u + m[0, 1] * v + m[0, 2] - 0.5
                pts[i, 1] = m[1, 0] * u + m[1, 1] * v + m[1, 2] - 0.5
                pts[i, 2] = lm[i, 2] / CROP * roi.side
                pts[i, 3] = sigmoid(lm[i, 3])
                pts[i, 4] = sigmoid(lm[i, 4])
            out.append(Person(d.score, d.box, d.keypoints, roi, flag, pts))
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("images", nargs="+")
    ap.add_argument("--models-dir", default=MODELS_DIR)
    ap.add_argument("--annotate", metavar="DIR")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    pm = PoseModels(args.models_dir)
    for path in args.images:
        img = bf.read_bgr(path)
        people = pm.people(img)
        print(f"{os.path.basename(path)} {img.shape[1]}x{img.shape[0]}: {len(people)} person(s)")
        for p in people:
            print(f"  score {p.score:.3f} flag {p.pose_flag:.3f} roi centre ({p.roi.cx:.0f},{p.roi.cy:.0f}) side "
                  f"{p.roi.side:.0f} rot {math.degrees(p.roi.rotation):.1f}")
            for i in (0, 11, 12, 15, 16, 23, 24):
                x, y, z, v, pr = p.points[i]
                print(f"    {NAMES[i]:15s} ({x:7.1f},{y:7.1f}) vis {v:.2f} pres {pr:.2f}")
        if args.annotate:
            os.makedirs(args.annotate, exist_ok=True)
            out = img.copy()
            for p in people:
                for x, y, _, v, _ in p.points:
                    cv2.circle(out, (int(round(x)), int(round(y))), 4, (0, 255, 0) if v > 0.5 else (0, 0, 255), -1)
            cv2.imwrite(os.path.join(args.annotate, os.path.basename(path) + ".jpg"), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
