"""Reference decoder for Mien's BlazeFace ONNX models (Models/blazeface_short.onnx, Models/blazeface_full.onnx).

This is the executable form of Models/BLAZEFACE.md: the Swift/C++ side must reproduce exactly these steps.
It only needs numpy and OpenCV (the DNN module runs the ONNX file).

    python decode.py IMAGE...                       # both models, boxes printed per image
    python decode.py --model full --annotate out/ IMAGE...

Pipeline (MediaPipe face_detection graph, mediapipe==0.10.21, re-implemented):
  1. letterbox: the centred square of side max(W, H) (black outside the image) warped bilinearly to S x S
     (S = 128 or 192), exactly as MediaPipe samples it
  2. RGB, (x - 127.5) / 127.5  ->  [-1, 1], NCHW float32 blob, input name "input"
  3. forward -> "regressors" [1, N, 16], "classificators" [1, N, 1]
  4. score = sigmoid(clip(logit, -100, 100)); keep score >= min_score (MediaPipe: 0.5 short, 0.6 full)
  5. decode box and 6 keypoints against SSD anchors (centres only; anchor w = h = 1)
  6. weighted NMS, IoU threshold 0.3
  7. undo the letterbox -> pixel coordinates of the original image
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "Models"))

KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear_tragion", "left_ear_tragion")


@dataclass(frozen=True)
class Spec:
    """Everything the decoder needs for one model. Values come from the FaceDetectionOptions /
    SsdAnchorsCalculatorOptions / TensorsToDetectionsCalculatorOptions / NonMaxSuppressionCalculatorOptions
    compiled into mediapipe 0.10.21 (face_detection.pbtxt + face_detection_{short,full}_range.pbtxt)."""

    name: str
    file: str
    size: int                      # input is size x size
    num_anchors: int
    strides: tuple                 # SsdAnchorsCalculator strides, one per layer
    interpolated_scale_aspect_ratio: float
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    anchor_offset: float = 0.5
    aspect_ratios: tuple = (1.0,)
    fixed_anchor_size: bool = True
    score_clipping: float = 100.0
    min_score: float = 0.5         # TensorsToDetections min_score_thresh as set by the MediaPipe graph (see SPECS)
    nms_iou: float = 0.3

    @property
    def scale(self) -> float:      # x_scale = y_scale = w_scale = h_scale
        return float(self.size)


SPECS = {
    "short": Spec("short", "blazeface_short.onnx", 128, 896, (8, 16, 16, 16), 1.0, min_score=0.5),
    "full": Spec("full", "blazeface_full.onnx", 192, 2304, (4,), 0.0, min_score=0.6),
}
# Note: mediapipe 0.10.21's Python FaceDetection(min_detection_confidence=...) does not reach these thresholds
# (measured: 0.1 and 0.9 give the same detections), so MediaPipe's effective thresholds are 0.5 (short) and 0.6 (full).


def ssd_anchors(spec: Spec) -> np.ndarray:
    """MediaPipe SsdAnchorsCalculator (num_layers = len(strides)). Returns [N, 4] = (x_center, y_center, w, h),
    normalised to [0, 1] of the model input."""
    strides = spec.strides
    n = len(strides)

    def calc_scale(i: int) -> float:
        if n == 1:
            return (spec.min_scale + spec.max_scale) * 0.5
        return spec.min_scale + (spec.max_scale - spec.min_scale) * i / (n - 1.0)

    anchors = []
    layer = 0
    while layer < n:
        widths, heights = [], []
        last = layer
        while last < n and strides[last] == strides[layer]:
            scale = calc_scale(last)
            for ar in spec.aspect_ratios:
                heights.append(scale / math.sqrt(ar))
                widths.append(scale * math.sqrt(ar))
            if spec.interpolated_scale_aspect_ratio > 0:
                nxt = 1.0 if last == n - 1 else calc_scale(last + 1)
                s = math.sqrt(scale * nxt)
                ar = spec.interpolated_scale_aspect_ratio
                heights.append(s / math.sqrt(ar))
                widths.append(s * math.sqrt(ar))
            last += 1
        stride = strides[layer]
        fm = int(math.ceil(spec.size / stride))
        for y in range(fm):
            for x in range(fm):
                for k in range(len(widths)):
                    xc = (x + spec.anchor_offset) / fm
                    yc = (y + spec.anchor_offset) / fm
                    if spec.fixed_anchor_size:
                        anchors.append((xc, yc, 1.0, 1.0))
                    else:
                        anchors.append((xc, yc, widths[k], heights[k]))
        layer = last
    a = np.asarray(anchors, dtype=np.float32)
    assert a.shape == (spec.num_anchors, 4), a.shape
    return a


@dataclass
class Letterbox:
    """The square region of the original image that the model sees: side = max(W, H), centred on the image, so the
    shorter dimension is padded equally on both sides (MediaPipe ImageToTensorCalculator, keep_aspect_ratio: true,
    border_mode: BORDER_ZERO). Maps normalised model-input coordinates [0,1] to original-image pixels."""

    size: int       # S, model input side (128 or 192)
    width: int      # original image W
    height: int     # original image H
    side: float     # max(W, H)
    ox: float       # (W - side) / 2   (<= 0): image x of the model input's left edge
    oy: float       # (H - side) / 2   (<= 0)

    @classmethod
    def fit(cls, width: int, height: int, size: int) -> "Letterbox":
        side = float(max(width, height))
        return cls(size, width, height, side, (width - side) / 2.0, (height - side) / 2.0)

    def matrix(self) -> np.ndarray:
        """2x3 affine map from model-input pixels to image pixels (use with WARP_INVERSE_MAP)."""
        s = self.side / self.size
        return np.array([[s, 0.0, self.ox], [0.0, s, self.oy]], dtype=np.float64)

    def to_image(self, x: np.ndarray, y: np.ndarray):
        """normalised model-input coordinates -> original-image pixels"""
        return x * self.side + self.ox, y * self.side + self.oy


def letterbox_image(rgb: np.ndarray, size: int):
    """uint8 HxWx3 (any channel order, kept) -> (size x size x 3 uint8, Letterbox).

    Sampled exactly as MediaPipe's CPU ImageToTensorCalculator does: one bilinear warp, no antialiasing, black
    outside the image; model-input pixel (u, v) samples image point (u * side/S + ox, v * side/S + oy). With this
    the decoded boxes and scores equal MediaPipe's own (compare_mediapipe.py). Pre-shrinking with INTER_AREA instead
    moved boxes by up to 12% of their side and scores by up to 0.13 on the samples."""
    h, w = rgb.shape[:2]
    lb = Letterbox.fit(w, h, size)
    out = cv2.warpAffine(rgb, lb.matrix(), (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return out, lb


def to_blob(letterboxed_rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB HxWx3 -> float32 NCHW [1,3,S,S] in [-1, 1] (== cv2.dnn.blobFromImage(bgr, 1/127.5, mean 127.5,
    swapRB=True) on the BGR image)."""
    x = letterboxed_rgb.astype(np.float32) / 127.5 - 1.0
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


@dataclass
class Detection:
    score: float
    box: np.ndarray                     # xmin, ymin, xmax, ymax (normalised input coords, later pixels)
    keypoints: np.ndarray = field(default_factory=lambda: np.zeros((6, 2), np.float32))  # 6 x (x, y)


def decode(regressors: np.ndarray, classificators: np.ndarray, anchors: np.ndarray, spec: Spec,
           min_score: float | None = None):
    """TensorsToDetectionsCalculator: raw tensors -> detections in normalised model-input coordinates."""
    min_score = spec.min_score if min_score is None else min_score
    raw = regressors.reshape(-1, 16).astype(np.float64)
    logits = classificators.reshape(-1).astype(np.float64)
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -spec.score_clipping, spec.score_clipping)))
    s = spec.scale
    ax, ay, aw, ah = anchors[:, 0], anchors[:, 1], anchors[:, 2], anchors[:, 3]
    xc = raw[:, 0] / s * aw + ax
    yc = raw[:, 1] / s * ah + ay
    w = raw[:, 2] / s * aw
    h = raw[:, 3] / s * ah
    kx = raw[:, 4::2] / s * aw[:, None] + ax[:, None]
    ky = raw[:, 5::2] / s * ah[:, None] + ay[:, None]
    keep = np.nonzero((scores >= min_score) & (w > 0) & (h > 0))[0]
    out = []
    for i in keep:
        box = np.array([xc[i] - w[i] / 2, yc[i] - h[i] / 2, xc[i] + w[i] / 2, yc[i] + h[i] / 2])
        out.append(Detection(float(scores[i]), box, np.stack([kx[i], ky[i]], axis=1)))
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def weighted_nms(dets, iou_threshold: float):
    """NonMaxSuppressionCalculator, algorithm WEIGHTED, overlap INTERSECTION_OVER_UNION.
    Take the best remaining detection; every remaining detection (itself included) with IoU > threshold joins its
    cluster; the output box and keypoints are the score-weighted mean of the cluster, the score is the best one's."""
    remaining = sorted(dets, key=lambda d: -d.score)
    out = []
    while remaining:
        top = remaining[0]
        cluster, rest = [], []
        for d in remaining:
            (cluster if iou(d.box, top.box) > iou_threshold else rest).append(d)
        wsum = sum(d.score for d in cluster)
        box = sum(d.box * d.score for d in cluster) / wsum
        kps = sum(d.keypoints * d.score for d in cluster) / wsum
        out.append(Detection(top.score, box, kps))
        remaining = rest
    return out


class BlazeFace:
    def __init__(self, model: str = "full", models_dir: str = MODELS_DIR, min_score: float | None = None):
        self.spec = SPECS[model]
        self.net = cv2.dnn.readNetFromONNX(os.path.join(models_dir, self.spec.file))
        self.anchors = ssd_anchors(self.spec)
        self.min_score = self.spec.min_score if min_score is None else min_score

    def forward(self, blob: np.ndarray):
        self.net.setInput(blob, "input")
        reg, cls = self.net.forward(["regressors", "classificators"])
        return reg.reshape(1, -1, 16), cls.reshape(1, -1, 1)

    def detect(self, bgr: np.ndarray):
        """BGR uint8 image -> list of Detection in original-image pixels, best first."""
        # warp first, then swap channels on the small S x S image (per-channel warp: same result, less work)
        lb_bgr, lb = letterbox_image(bgr, self.spec.size)
        reg, cls = self.forward(to_blob(cv2.cvtColor(lb_bgr, cv2.COLOR_BGR2RGB)))
        dets = weighted_nms(decode(reg, cls, self.anchors, self.spec, self.min_score), self.spec.nms_iou)
        return to_image(dets, lb)


def to_image(dets, lb):
    """Maps detections (box and keypoints) from the letterboxed square back to original-image pixels, in place."""
    for d in dets:
        x, y = lb.to_image(d.box[[0, 2]], d.box[[1, 3]])
        d.box = np.array([x[0], y[0], x[1], y[1]])
        kx, ky = lb.to_image(d.keypoints[:, 0], d.keypoints[:, 1])
        d.keypoints = np.stack([kx, ky], axis=1)
    return dets


def read_bgr(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"{path}: cannot read image")
    return img


def annotate(bgr: np.ndarray, dets) -> np.ndarray:
    out = bgr.copy()
    t = max(1, round(max(bgr.shape[:2]) / 500))
    colours = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]
    for d in dets:
        x0, y0, x1, y1 = [int(round(v)) for v in d.box]
        cv2.rectangle(out, (x0, y0), (x1, y1), (0, 255, 0), t)
        cv2.putText(out, f"{d.score:.2f}", (x0, max(0, y0 - 4 * t)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * t, (0, 255, 0), t)
        for k, (kx, ky) in enumerate(d.keypoints):
            cv2.circle(out, (int(round(kx)), int(round(ky))), 2 * t, colours[k], -1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("images", nargs="+")
    ap.add_argument("--model", choices=["short", "full", "both"], default="both")
    ap.add_argument("--models-dir", default=MODELS_DIR)
    ap.add_argument("--min-score", type=float, default=None, help="default: MediaPipe's, 0.5 (short) / 0.6 (full)")
    ap.add_argument("--annotate", metavar="DIR", help="write each image with boxes and keypoints drawn")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    models = ["short", "full"] if args.model == "both" else [args.model]
    for m in models:
        bf = BlazeFace(m, args.models_dir, args.min_score)
        for path in args.images:
            img = read_bgr(path)
            t0 = time.perf_counter()
            dets = bf.detect(img)
            ms = (time.perf_counter() - t0) * 1e3
            print(f"[{m}] {os.path.basename(path)} {img.shape[1]}x{img.shape[0]}: {len(dets)} face(s), {ms:.1f} ms")
            for d in dets:
                x0, y0, x1, y1 = d.box
                print(f"    score {d.score:.3f}  box x0={x0:.0f} y0={y0:.0f} x1={x1:.0f} y1={y1:.0f}"
                      f"  (w {x1 - x0:.0f}, h {y1 - y0:.0f})")
            if args.annotate:
                os.makedirs(args.annotate, exist_ok=True)
                base = os.path.splitext(os.path.basename(path))[0]
                cv2.imwrite(os.path.join(args.annotate, f"{base}_{m}.jpg"), annotate(img, dets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
