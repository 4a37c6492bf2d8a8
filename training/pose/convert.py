"""Convert MediaPipe Pose (PyPI wheel mediapipe==0.10.21, Apache-2.0) to ONNX for OpenCV 4.6 DNN.

    python training/pose/convert.py                # convert, verify, write Models/pose_{detection,landmark_full}.onnx
    python training/pose/convert.py --verify-only  # re-check the committed ONNX files

Steps
  1. Take pose_detection.tflite and pose_landmark_full.tflite out of the mediapipe wheel (`pip download --no-deps
     mediapipe==0.10.21` into .whl/ when not there yet) and check their sha256. mediapipe itself is never imported.
  2. The detector is sparse (38 DENSIFY ops, as BlazeFace full-range): densified with training/blazeface's tool.
  3. tf2onnx 1.16.1 (opset 13, NCHW input). OpenCV 4.6 cannot run opset-13 `Clip` (its bounds are inputs there),
     so every Clip(x, lo, hi) is rewritten as Relu(x - lo) - Relu(x - hi) + lo (the same function). The landmark
     model's segmentation output (a 256 x 256 mask Mien does not use) is removed with the nodes only it needs.
     Tensors are renamed: input; regressors / classificators; landmarks / pose_flag / heatmap / world_landmarks.
  4. Verify against the original TFLite models (TFLite's CPU interpreter, as MediaPipe runs them) through
     onnxruntime and OpenCV DNN on real inputs (the samples, frames of the sample video, the crops the pipeline cuts
     from them) and random ones; time both in OpenCV DNN with one thread; record the self-test values the Swift
     stage checks at load; run the reference pipeline (pose.py) on the samples and write
     Tests/Fixtures/pose/reference.json for the Swift parity test. Results: training/pose/report.json.
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import pose  # noqa: E402

_spec = importlib.util.spec_from_file_location("blazeface_convert", os.path.join(HERE, "..", "blazeface", "convert.py"))
blaze = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(blaze)  # find_wheel, sha256, densify, canonical_names, tflite_interpreter

MP_VERSION = blaze.MP_VERSION
TFLITE = {
    "detection": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "landmark": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
# sha256 of the files inside mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl
TFLITE_SHA256 = {
    "detection": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "landmark": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
}
ONNX_FILE = {"detection": pose.DETECTOR.file, "landmark": pose.LANDMARK_FILE}
# TFLite output name -> ONNX output name (None: removed)
OUTPUTS = {
    "detection": {"Identity": "regressors", "Identity_1": "classificators"},
    "landmark": {"Identity": "landmarks", "Identity_1": "pose_flag", "Identity_2": None, "Identity_3": "heatmap",
                 "Identity_4": "world_landmarks"},
}
SAMPLES = os.path.normpath(os.path.join(ROOT, "..", "shared", "samples"))
VIDEO_FRAMES = (0, 60, 120, 180, 240)
log = blaze.log


def extract(wheel: str, work: str) -> dict:
    paths = {}
    with zipfile.ZipFile(wheel) as z:
        for key, member in TFLITE.items():
            dst = os.path.join(work, os.path.basename(member))
            with z.open(member) as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f)
            paths[key] = dst
        lic = [n for n in z.namelist() if n.startswith(f"mediapipe-{MP_VERSION}.dist-info/") and n.endswith("LICENSE")]
        with z.open(lic[0]) as src, open(os.path.join(work, "LICENSE"), "wb") as f:
            shutil.copyfileobj(src, f)
        paths["license"] = os.path.join(work, "LICENSE")
    for key in TFLITE:
        got = blaze.sha256(paths[key])
        if got != TFLITE_SHA256[key]:
            raise SystemExit(f"{os.path.basename(paths[key])}: sha256 {got} is not the recorded "
                             f"{TFLITE_SHA256[key]}; this is not the file the card describes")
    return paths


# ---------------------------------------------------------------------------------------------------- 3. tf2onnx
def rewrite_clips(g) -> int:
    """Clip(x, lo, hi) -> Relu(x - lo) - Relu(x - hi) + lo, with lo and hi the node's constant bounds."""
    import onnx
    from onnx import helper, numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    new_nodes, n = [], 0
    for node in g.node:
        if node.op_type != "Clip":
            new_nodes.append(node)
            continue
        x = node.input[0]
        lo = float(inits[node.input[1]]) if len(node.input) > 1 and node.input[1] else float("-inf")
        hi = float(inits[node.input[2]]) if len(node.input) > 2 and node.input[2] else float("inf")
        assert np.isfinite(lo) and np.isfinite(hi), (node.name, lo, hi)
        p = f"clip{n}_"
        lo_c, hi_c = p + "lo", p + "hi"
        g.initializer.extend([numpy_helper.from_array(np.array(lo, np.float32), lo_c),
                              numpy_helper.from_array(np.array(hi, np.float32), hi_c)])
        if lo == 0.0:
            new_nodes += [helper.make_node("Relu", [x], [p + "a"]),
                          helper.make_node("Sub", [x, hi_c], [p + "xh"]),
                          helper.make_node("Relu", [p + "xh"], [p + "b"]),
                          helper.make_node("Sub", [p + "a", p + "b"], [node.output[0]])]
        else:
            new_nodes += [helper.make_node("Sub", [x, lo_c], [p + "xl"]),
                          helper.make_node("Relu", [p + "xl"], [p + "a"]),
                          helper.make_node("Sub", [x, hi_c], [p + "xh"]),
                          helper.make_node("Relu", [p + "xh"], [p + "b"]),
                          helper.make_node("Sub", [p + "a", p + "b"], [p + "d"]),
                          helper.make_node("Add", [p + "d", lo_c], [node.output[0]])]
        n += 1
    del g.node[:]
    g.node.extend(new_nodes)
    used = {i for nd in g.node for i in nd.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    return n


def prune(g) -> int:
    """Remove nodes none of the graph's outputs needs."""
    needed = {o.name for o in g.output}
    keep = []
    for node in reversed(list(g.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    removed = len(g.node) - len(keep)
    del g.node[:]
    g.node.extend(reversed(keep))
    inits = [t for t in g.initializer if t.name in needed]
    del g.initializer[:]
    g.initializer.extend(inits)
    return removed


def to_onnx(key: str, tflite_path: str, onnx_path: str, report: dict) -> None:
    import onnx

    tmp = onnx_path + ".tmp.onnx"
    cmd = [sys.executable, "-m", "tf2onnx.convert", "--tflite", tflite_path, "--opset", "13",
           "--inputs-as-nchw", "input_1", "--output", tmp]
    log(" ".join(cmd[1:]))
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
        raise SystemExit(f"tf2onnx failed on {tflite_path}")
    m = onnx.load(tmp)
    os.remove(tmp)
    g = m.graph
    rename = {"input_1": "input"}
    kept = []
    for o in g.output:
        new = OUTPUTS[key][o.name]
        if new is not None:
            rename[o.name] = new
            kept.append(o)
    del g.output[:]
    g.output.extend(kept)
    for v in list(g.input) + list(g.output):
        v.name = rename.get(v.name, v.name)
    for node in g.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    removed = prune(g)
    clips = rewrite_clips(g)
    blaze.canonical_names(g)
    order = [v for v in OUTPUTS[key].values() if v]
    outs = sorted(g.output, key=lambda o: order.index(o.name))
    del g.output[:]
    g.output.extend(outs)
    g.name = f"mediapipe_pose_{key}"
    size = pose.DETECTOR.size if key == "detection" else pose.CROP
    rng = "[-1,1] (x-127.5)/127.5, letterboxed" if key == "detection" else "[0,1] x/255, rotated ROI crop"
    m.doc_string = (f"MediaPipe Pose {key} model (mediapipe {MP_VERSION}, {os.path.basename(TFLITE[key])}), "
                    f"converted by Mien training/pose/convert.py. Input NCHW RGB {rng}, {size}x{size}. "
                    "Model: Copyright The MediaPipe Authors, Apache License 2.0 (Models/POSE_LICENSE.txt).")
    del m.metadata_props[:]
    for k, v in {"source": f"pypi:mediapipe=={MP_VERSION}/{TFLITE[key]}", "license": "Apache-2.0",
                 "input": f"input [1,3,{size},{size}] float32 RGB {rng}", "contract": "Models/POSE.md"}.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    # tf2onnx leaves the batch symbolic on some outputs; fix it to 1 so OpenCV sees static shapes
    for v in list(g.input) + list(g.output):
        d = v.type.tensor_type.shape.dim
        if d and not d[0].dim_value:
            d[0].dim_value = 1
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)
    report.setdefault("conversion", {})[key] = {"clip_nodes_rewritten": clips, "nodes_pruned": removed,
                                                "outputs": [o.name for o in g.output]}
    log(f"wrote {os.path.relpath(onnx_path, ROOT)} ({os.path.getsize(onnx_path)} bytes; {clips} Clip rewritten, "
        f"{removed} nodes pruned)")


# ---------------------------------------------------------------------------------------------------- 4. verify
def run_tflite(it, x_nhwc: np.ndarray) -> dict:
    it.set_tensor(it.get_input_details()[0]["index"], x_nhwc)
    it.invoke()
    return {o["name"]: it.get_tensor(o["index"]).copy() for o in it.get_output_details()}


def real_images() -> list:
    import cv2
    files = sorted(glob.glob(os.path.join(SAMPLES, "*.jpg")) + glob.glob(os.path.join(SAMPLES, "*.png")))
    out = [(os.path.basename(f), cv2.imread(f, cv2.IMREAD_COLOR)) for f in files]
    video = sorted(glob.glob(os.path.join(SAMPLES, "*.mp4")))
    for v in video:
        cap = cv2.VideoCapture(v)
        for idx in VIDEO_FRAMES:
            cap.set(cv2.CAP_PROP_POS_FRAMES, idx)
            ok, frame = cap.read()
            if ok:
                out.append((f"{os.path.basename(v)}#{idx}", frame))
        cap.release()
    if not out:
        raise SystemExit(f"no sample images or video in {SAMPLES}")
    return out


def verify(paths: dict, models_dir: str, report: dict, timing_runs: int) -> bool:
    import cv2
    import onnxruntime as ort

    cv2.setNumThreads(1)
    report["opencv_version"], report["onnxruntime_version"] = cv2.__version__, ort.__version__
    images = real_images()
    pm = pose.PoseModels(models_dir)
    rs = np.random.RandomState(0)

    # the inputs each model sees in the pipeline, plus random ones
    det_inputs, lmk_inputs = [], []
    for name, bgr in images:
        lb, _ = pose.bf.letterbox_image(bgr, pose.DETECTOR.size)
        det_inputs.append((name, pose.bf.to_blob(cv2.cvtColor(lb, cv2.COLOR_BGR2RGB))))
        for i, d in enumerate(pm.detect(bgr)[:2]):
            lmk_inputs.append((f"{name} person {i}", pm.crop(bgr, pose.roi_from_detection(d.keypoints))))
    for i in range(2):
        det_inputs.append((f"random{i}", rs.uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)))
        lmk_inputs.append((f"random{i}", rs.uniform(0, 1, (1, 3, 256, 256)).astype(np.float32)))

    ok = True
    report["models"] = {}
    for key, inputs in (("detection", det_inputs), ("landmark", lmk_inputs)):
        onnx_path = os.path.join(models_dir, ONNX_FILE[key])
        it = blaze.tflite_interpreter(paths[key])
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        net = cv2.dnn.readNetFromONNX(onnx_path)
        names = [v for v in OUTPUTS[key].values() if v]
        worst = {"ort": {n: 0.0 for n in names}, "opencv": {n: 0.0 for n in names}}
        for label, blob in inputs:
            ref_raw = run_tflite(it, np.ascontiguousarray(blob.transpose(0, 2, 3, 1)))
            ref = {OUTPUTS[key][k]: v for k, v in ref_raw.items() if OUTPUTS[key][k]}
            got_ort = dict(zip(names, sess.run(names, {"input": blob})))
            net.setInput(blob, "input")
            got_cv = dict(zip(names, net.forward(names)))
            for tag, got in (("ort", got_ort), ("opencv", got_cv)):
                for n in names:
                    d = float(np.abs(got[n].reshape(ref[n].shape) - ref[n]).max())
                    worst[tag][n] = max(worst[tag][n], d)
        # tolerances: landmark coordinates are crop pixels (0..256), regressors input pixels, logits up to ~tens
        tol = {"regressors": 5e-3, "classificators": 5e-3, "landmarks": 1e-2, "pose_flag": 1e-4, "heatmap": 5e-3,
               "world_landmarks": 1e-3}
        mok = all(worst["opencv"][n] <= tol[n] for n in names)
        ok &= mok
        log(f"[{key}] max |onnx - tflite| over {len(inputs)} inputs ({len(inputs) - 2} real): "
            + "; ".join(f"{t}: " + ", ".join(f"{n} {v:.2e}" for n, v in worst[t].items()) for t in worst)
            + f" -> {'OK' if mok else 'TOO LARGE'}")

        blob = inputs[0][1]
        for _ in range(5):
            net.setInput(blob, "input")
            net.forward(names)
        ts = []
        for _ in range(timing_runs):
            t0 = time.perf_counter()
            net.setInput(blob, "input")
            net.forward(names)
            ts.append(time.perf_counter() - t0)
        t_ref = []
        for _ in range(max(5, timing_runs // 2)):
            t0 = time.perf_counter()
            run_tflite(it, np.ascontiguousarray(blob.transpose(0, 2, 3, 1)))
            t_ref.append(time.perf_counter() - t0)
        log(f"[{key}] OpenCV DNN forward, 1 thread: median {np.median(ts) * 1e3:.1f} ms over {timing_runs} runs; "
            f"TFLite (XNNPACK, default threads) median {np.median(t_ref) * 1e3:.1f} ms "
            f"(load average {os.getloadavg()[0]:.2f})")
        report["models"][key] = {
            "file": f"Models/{ONNX_FILE[key]}", "bytes": os.path.getsize(onnx_path),
            "sha256": blaze.sha256(onnx_path), "source_tflite": TFLITE[key],
            "source_tflite_sha256": TFLITE_SHA256[key],  # checked in extract()
            "reference_tflite_sha256": blaze.sha256(paths[key]),  # the detector: its densified copy
            "inputs_checked": [n for n, _ in inputs],
            "max_abs_diff_vs_tflite": worst, "parity_ok": bool(mok),
            "opencv_forward_ms_1thread_median": round(float(np.median(ts) * 1e3), 2),
            "tflite_forward_ms_median": round(float(np.median(t_ref) * 1e3), 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }

    # self-test values (the Swift stages run these fixed inputs at load and compare)
    net = cv2.dnn.readNetFromONNX(os.path.join(models_dir, ONNX_FILE["detection"]))
    net.setInput(np.zeros((1, 3, 224, 224), np.float32), "input")
    reg, cls = net.forward(["regressors", "classificators"])
    net = cv2.dnn.readNetFromONNX(os.path.join(models_dir, ONNX_FILE["landmark"]))
    net.setInput(np.full((1, 3, 256, 256), 0.5, np.float32), "input")
    lm, flag = net.forward(["landmarks", "pose_flag"])
    lm = lm.reshape(39, 5)
    report["self_test"] = {
        "detection_zero_input": {"max_logit": round(float(cls.max()), 4), "mean_logit": round(float(cls.mean()), 4),
                                 "mean_regressor": round(float(reg.mean()), 4)},
        "landmark_grey_input": {"pose_flag": round(float(flag.reshape(-1)[0]), 5),
                                "mean_x": round(float(lm[:, 0].mean()), 4), "mean_y": round(float(lm[:, 1].mean()), 4)},
    }
    log(f"self-test values: {report['self_test']}")
    return ok


def write_reference(models_dir: str, report: dict) -> None:
    """The reference pipeline's people on the still samples, for the Swift parity test."""
    import cv2
    pm = pose.PoseModels(models_dir)
    out = {"note": "training/pose/pose.py on the samples (OpenCV DNN, this repository's ONNX files); "
                   "written by training/pose/convert.py", "names": list(pose.NAMES), "images": {}}
    timing = {}
    for name, bgr in real_images():
        if "#" in name:
            continue
        t0 = time.perf_counter()
        people = pm.people(bgr)
        timing[name] = round((time.perf_counter() - t0) * 1e3, 1)
        out["images"][name] = [{
            "score": round(p.score, 4), "box_xyxy": [round(float(v), 2) for v in p.box],
            "roi": {"cx": round(p.roi.cx, 2), "cy": round(p.roi.cy, 2), "side": round(p.roi.side, 2),
                    "rotation": round(p.roi.rotation, 5)},
            "pose_flag": round(p.pose_flag, 4),
            "points": [[round(float(v), 2) for v in pt[:2]] + [round(float(v), 4) for v in pt[3:5]]
                       for pt in p.points],
        } for p in people]
        log(f"reference: {name}: {len(people)} person(s) in {timing[name]} ms")
    report["pipeline_ms_1thread"] = timing
    dst = os.path.join(ROOT, "Tests", "Fixtures", "pose", "reference.json")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    log(f"wrote {os.path.relpath(dst, ROOT)}")


LICENSE_HEADER = """MediaPipe Pose models in this folder: pose_detection.onnx, pose_landmark_full.onnx
====================================================================================

Source: the PyPI wheel mediapipe=={v} (https://pypi.org/project/mediapipe/), files
  mediapipe/modules/pose_detection/pose_detection.tflite
  mediapipe/modules/pose_landmark/pose_landmark_full.tflite
Copyright The MediaPipe Authors (Google LLC). Licensed under the Apache License, Version 2.0; the licence text
shipped in that wheel (mediapipe-{v}.dist-info/LICENSE) follows below, unchanged.

Modifications (Apache-2.0 section 4(b)): the Mien project converted these files to ONNX with
training/pose/convert.py: the detector's sparse weights were densified (identical values, DENSIFY ops removed),
both models were converted by tf2onnx 1.16.1 (opset 13) with an NCHW input, every Clip node was rewritten as the
equivalent Relu(x - lo) - Relu(x - hi) + lo, the landmark model's segmentation output and the nodes only it used
were removed, and the input/output tensors and internal nodes were renamed. The weights and the computation of the
remaining outputs are otherwise unchanged.

----------------------------------------------------------------------------------------------------------------

"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", default=os.path.join(ROOT, ".whl"))
    ap.add_argument("--work", default=os.path.join(ROOT, ".whl", "pose-work"))
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "Models"))
    ap.add_argument("--report", default=os.path.join(HERE, "report.json"))
    ap.add_argument("--verify-only", action="store_true")
    ap.add_argument("--timing-runs", type=int, default=40)
    args = ap.parse_args(argv)

    os.makedirs(args.work, exist_ok=True)
    wheel = blaze.find_wheel(args.wheel_dir)
    log(f"wheel: {os.path.basename(wheel)}")
    paths = extract(wheel, args.work)
    import onnx
    import tensorflow as tf
    import tf2onnx
    report = {"mediapipe_wheel": os.path.basename(wheel), "tensorflow": tf.__version__,
              "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__, "python": platform.python_version(),
              "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs"}
    dense = os.path.join(args.work, "pose_detection_dense.tflite")
    report["densify"] = blaze.densify(paths["detection"], dense)
    paths["detection"] = dense  # the TFLite reference from here on (bit-identical weights)
    if not args.verify_only:
        os.makedirs(args.models_dir, exist_ok=True)
        for key in ("detection", "landmark"):
            to_onnx(key, paths[key], os.path.join(args.models_dir, ONNX_FILE[key]), report)
        with open(paths["license"], encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(args.models_dir, "POSE_LICENSE.txt"), "w", encoding="utf-8") as f:
            f.write(LICENSE_HEADER.format(v=MP_VERSION) + text)
    ok = verify(paths, args.models_dir, report, args.timing_runs)
    write_reference(args.models_dir, report)
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    log(f"wrote {os.path.relpath(args.report, ROOT)}")
    if not ok:
        log("FAILED: ONNX outputs differ from TFLite beyond tolerance")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
