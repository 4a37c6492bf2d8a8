"""The face-mesh crop, as Mien's FaceMeshLandmarker cuts it (the reference the Swift parity test is checked against).

MediaPipe's FaceLandmarker cuts a square of 1.5 x the BlazeFace box (longer side), centred on the box, rotated so
the eyes (keypoints 0 and 1) are level, and resizes it to 256 x 256 RGB/255. Mien's detector hands on the box that
dlib's landmark model wants (training/blazeface, `landmarkFraming`: side 2.3 x the eye-mouth distance, centred between
eyes and mouth), which is a function of the keypoints alone, so the crop is defined from the keypoints:

    centre c = midpoint of (eye midpoint, mouth keypoint);  side S = MESH_SIDE x |eye midpoint - mouth|
    angle  t = atan2(eye1.y - eye0.y, eye1.x - eye0.x)
    crop(u) <- image(c + R(t) (u + 0.5 - N/2) / s - 0.5),  s = N / S,  N = 256     (continuous pixel coordinates)

MESH_SIDE = 1.5 x (BlazeFace full-range box side / eye-mouth distance), that ratio measured on the samples by
`python meshcrop.py` (it prints it).
"""
from __future__ import annotations

import glob
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "blazeface"))
import decode as bf  # noqa: E402

N = 256
MESH_SIDE = 3.46  # 1.5 x 2.307: BlazeFace full-range box side / eye-mouth distance on the samples (2.24-2.37)

# MediaPipe face_blendshapes_graph.cc: the 146 mesh points the blendshapes model reads, and its 52 output names
BLEND_INDICES = [
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
    81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
    154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249,
    251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314,
    317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382,
    384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473,
    474, 475, 476, 477]
BLEND_NAMES = [
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight"]


def crop_matrix(keypoints: np.ndarray, box: np.ndarray | None = None) -> np.ndarray:
    """2x3 image -> crop matrix (OpenCV pixel-index convention) for the mesh crop of a face: MediaPipe's (1.5 x the
    longer side of the BlazeFace box, centred on it) when the box is given, else from the keypoints alone."""
    k = np.asarray(keypoints, np.float64)
    eyes = (k[0] + k[1]) / 2
    if box is None:
        c = (eyes + k[3]) / 2
        side = MESH_SIDE * np.linalg.norm(eyes - k[3])
    else:
        c = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        side = 1.5 * max(box[2] - box[0], box[3] - box[1])
    t = math.atan2(k[1][1] - k[0][1], k[1][0] - k[0][0])
    s = N / side
    a, b = s * math.cos(-t), s * math.sin(-t)
    m = np.array([[a, -b], [b, a]])
    # u + 0.5 = m (p + 0.5 - c) + N/2
    off = m @ (0.5 - c) + N / 2 - 0.5
    return np.array([[m[0, 0], m[0, 1], off[0]], [m[1, 0], m[1, 1], off[1]]])


def to_image(points_crop: np.ndarray, crop_to_image: np.ndarray) -> np.ndarray:
    """Model outputs (continuous crop pixels, 0..256) -> continuous image pixels (MediaPipe's x * width)."""
    p = np.asarray(points_crop, np.float64)
    return p @ crop_to_image[:, :2].T + crop_to_image[:, 2]


def continuous_inverse(m: np.ndarray) -> np.ndarray:
    """Inverse of the image->crop matrix, in continuous coordinates (pixel centres at +0.5) on both sides."""
    full = np.vstack([m, [0, 0, 1]])
    shift = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    unshift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    return (unshift @ np.linalg.inv(full) @ shift)[:2]


def crop(bgr: np.ndarray, keypoints: np.ndarray, box: np.ndarray | None = None):
    import cv2
    m = crop_matrix(keypoints, box)
    out = cv2.warpAffine(bgr, m, (N, N), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB), continuous_inverse(m)


def sample_faces(samples: str, models: str) -> list:
    full, short = bf.BlazeFace("full", models), bf.BlazeFace("short", models)
    faces = []
    for path in sorted(glob.glob(os.path.join(samples, "*.jpg")) + glob.glob(os.path.join(samples, "*.png"))):
        bgr = bf.read_bgr(path)
        # full range first; the short-range model finds the close-ups full range misses (the Santa)
        for i, d in enumerate(full.detect(bgr) or short.detect(bgr)):
            rgb, back = crop(bgr, d.keypoints, d.box)
            faces.append({"image": os.path.basename(path), "index": i, "keypoints": d.keypoints, "box": d.box,
                          "crop_rgb": rgb, "crop_to_image": back})
    return faces


if __name__ == "__main__":
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    ratios = []
    for f in sample_faces(os.path.join(root, "Samples"), os.path.join(root, "Models")):
        k = f["keypoints"]
        d = np.linalg.norm((k[0] + k[1]) / 2 - k[3])
        side = max(f["box"][2] - f["box"][0], f["box"][3] - f["box"][1])
        ratios.append(side / d)
        print(f"{f['image']}#{f['index']}: BlazeFace box side / eye-mouth distance = {side / d:.3f}")
    print(f"mean {np.mean(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}; "
          f"MESH_SIDE = 1.5 x mean = {1.5 * np.mean(ratios):.3f}")
