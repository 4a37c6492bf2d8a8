"""Convert MediaPipe's BlazeFace face detectors (PyPI wheel mediapipe==0.10.21, Apache-2.0) to ONNX for OpenCV 4.6 DNN.

    python training/blazeface/convert.py            # convert, verify, write Models/blazeface_{short,full}.onnx
    python training/blazeface/convert.py --verify-only   # re-check the committed ONNX files

Steps
  1. Take face_detection_short_range.tflite and face_detection_full_range_sparse.tflite out of the mediapipe wheel
     (downloaded with `pip download --no-deps mediapipe==0.10.21` into .whl/ when not there yet). Only the .tflite
     files and the licence are used; mediapipe itself is never imported.
  2. The full-range file is sparse: 46 DENSIFY ops expand block-sparse float16 weights at run time, and tf2onnx
     cannot convert DENSIFY. We run the TFLite interpreter once, read each DENSIFY output (the dense float16 weight),
     store it as a plain constant buffer and delete the DENSIFY op. The rewritten model gives bit-identical outputs.
  3. tf2onnx 1.16.1 (opset 13, --inputs-as-nchw) converts both; then the graph's input is renamed to `input` and the
     outputs to `regressors` [1,N,16] / `classificators` [1,N,1] so both models have the same interface.
  4. Verify: the ONNX files against the original TFLite models (TFLite's default CPU interpreter, as MediaPipe runs
     them) through onnxruntime and OpenCV DNN, on letterboxed real photos and random inputs; decode faces on the
     samples; time both models in OpenCV DNN with one thread. Results go to training/blazeface/report.json.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
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
import decode as bf  # noqa: E402

MP_VERSION = "0.10.21"
TFLITE = {
    "short": "mediapipe/modules/face_detection/face_detection_short_range.tflite",
    "full": "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
}
# sha256 of the files inside mediapipe-0.10.21 (the same in every platform's wheel)
TFLITE_SHA256 = {
    "short": "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "full": "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
}
SAMPLES = os.path.normpath(os.path.join(ROOT, "..", "shared", "samples"))
OUT_NAMES = ["regressors", "classificators"]


def log(*a):
    print(*a, flush=True)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------- 1. extract
def find_wheel(wheel_dir: str) -> str:
    pat = os.path.join(wheel_dir, f"mediapipe-{MP_VERSION}-*.whl")
    found = sorted(glob.glob(pat))
    if not found:
        os.makedirs(wheel_dir, exist_ok=True)
        log(f"downloading mediapipe=={MP_VERSION} (no dependencies) into {wheel_dir}")
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                               f"mediapipe=={MP_VERSION}", "-d", wheel_dir])
        found = sorted(glob.glob(pat))
    if not found:
        raise SystemExit(f"no mediapipe {MP_VERSION} wheel in {wheel_dir}")
    return found[0]


def extract(wheel: str, work: str) -> dict:
    paths = {}
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for key, member in TFLITE.items():
            dst = os.path.join(work, os.path.basename(member))
            with z.open(member) as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f)
            paths[key] = dst
        lic = [n for n in names if n.startswith(f"mediapipe-{MP_VERSION}.dist-info/") and n.endswith("LICENSE")]
        if lic:
            with z.open(lic[0]) as src, open(os.path.join(work, "LICENSE"), "wb") as f:
                shutil.copyfileobj(src, f)
            paths["license"] = os.path.join(work, "LICENSE")
    for key in TFLITE:
        got = sha256(paths[key])
        if got != TFLITE_SHA256[key]:
            log(f"WARNING: {os.path.basename(paths[key])} sha256 {got} differs from the one recorded "
                f"({TFLITE_SHA256[key]}); the checks below still decide whether the conversion is right")
    return paths


# ---------------------------------------------------------------------------------------------------- 2. densify
def tflite_interpreter(path: str, delegates: bool = True, preserve: bool = False):
    import tensorflow as tf
    kw = {}
    if not delegates:
        kw["experimental_op_resolver_type"] = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = tf.lite.Interpreter(model_path=path, experimental_preserve_all_tensors=preserve, **kw)
    it.allocate_tensors()
    return it


def run_tflite(it, x_nhwc: np.ndarray):
    it.set_tensor(it.get_input_details()[0]["index"], x_nhwc)
    it.invoke()
    outs = it.get_output_details()  # order: [1,N,16] then [1,N,1]
    outs = sorted(outs, key=lambda o: -int(o["shape"][-1]))
    return [it.get_tensor(o["index"]).copy() for o in outs]


def densify(sparse_path: str, dense_path: str) -> dict:
    """Replace every DENSIFY op by a constant holding its (float16) output."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    model = fbu.read_model(sparse_path)
    densify_codes = {i for i, c in enumerate(model.operatorCodes)
                     if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.DENSIFY}
    it = tflite_interpreter(sparse_path, delegates=False, preserve=True)
    size = it.get_input_details()[0]["shape"]
    x = np.random.RandomState(1).uniform(-1, 1, size).astype(np.float32)
    ref = run_tflite(it, x)
    assert len(model.subgraphs) == 1
    sg = model.subgraphs[0]
    kept, n = [], 0
    for op in sg.operators:
        if op.opcodeIndex not in densify_codes:
            kept.append(op)
            continue
        src_t, dst_t = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
        dense = it.get_tensor(op.outputs[0])
        assert list(dense.shape) == list(dst_t.shape), (dense.shape, dst_t.shape)
        assert dst_t.type == schema.TensorType.FLOAT16 and dense.dtype == np.float16
        buf = schema.BufferT()
        buf.data = np.frombuffer(dense.tobytes(), dtype=np.uint8)
        model.buffers.append(buf)
        dst_t.buffer = len(model.buffers) - 1
        model.buffers[src_t.buffer].data = None   # the sparse source tensor is now unused
        n += 1
    sg.operators = kept
    fbu.write_model(model, dense_path)
    got = run_tflite(tflite_interpreter(dense_path, delegates=False), x)
    # The weights are copied bit for bit; the outputs still differ in the last float32 bits because TFLite picks
    # other convolution kernels for constant weights than for run-time (densified) ones.
    diff = max(float(np.abs(a - b).max()) for a, b in zip(got, ref))
    mag = max(float(np.abs(r).max()) for r in ref)
    log(f"densify: replaced {n} DENSIFY ops; dense vs sparse max |diff| = {diff:.3g} "
        f"(outputs up to {mag:.3g}; same interpreter, no delegate)")
    if diff > 1e-5 * mag:
        raise SystemExit("densified model differs from the sparse one")
    return {"densify_ops_removed": n, "dense_vs_sparse_max_abs_diff": diff, "output_max_abs": mag}


# ---------------------------------------------------------------------------------------------------- 3. tf2onnx
def canonical_names(g) -> None:
    """tf2onnx numbers its generated constants in an order that changes from run to run; rename every node,
    constant and intermediate tensor by its position in the graph so the file is byte-for-byte reproducible."""
    keep = {v.name for v in list(g.input) + list(g.output)}
    inits = {t.name: t for t in g.initializer}
    rename, n_const, n_tensor = {}, 0, 0
    for i, node in enumerate(g.node):
        node.name = f"{node.op_type.lower()}_{i}"
        for name in node.input:
            if name in inits and name not in rename:
                rename[name] = f"const_{n_const}"
                n_const += 1
        for name in node.output:
            if name not in keep and name not in rename:
                rename[name] = f"t_{n_tensor}"
                n_tensor += 1
    for node in g.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    used = [t for t in g.initializer if t.name in rename]
    for t in used:
        t.name = rename[t.name]
    used.sort(key=lambda t: int(t.name.split("_")[1]))
    copies = [type(t)() for t in used]
    for c, t in zip(copies, used):
        c.CopyFrom(t)
    del g.initializer[:]
    g.initializer.extend(copies)
    del g.value_info[:]


def to_onnx(tflite_path: str, onnx_path: str, spec: bf.Spec, license_note: str) -> None:
    import onnx
    import tensorflow as tf

    in_name = tf.lite.Interpreter(model_path=tflite_path).get_input_details()[0]["name"]
    tmp = onnx_path + ".tmp.onnx"
    cmd = [sys.executable, "-m", "tf2onnx.convert", "--tflite", tflite_path, "--opset", "13",
           "--inputs-as-nchw", in_name, "--output", tmp]
    log(" ".join(cmd[1:]))
    # a fixed hash seed makes tf2onnx's generated node names, and so the file, byte-for-byte reproducible
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit("tf2onnx failed")

    m = onnx.load(tmp)
    os.remove(tmp)
    g = m.graph
    outs = sorted(g.output, key=lambda o: -o.type.tensor_type.shape.dim[-1].dim_value)  # [1,N,16] first
    rename = {g.input[0].name: "input", outs[0].name: OUT_NAMES[0], outs[1].name: OUT_NAMES[1]}
    for v in list(g.input) + list(g.output):
        v.name = rename.get(v.name, v.name)
    for node in g.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    canonical_names(g)
    # keep output order fixed: regressors, classificators
    order = {n: i for i, n in enumerate(OUT_NAMES)}
    sorted_outs = sorted(g.output, key=lambda o: order[o.name])
    del g.output[:]
    g.output.extend(sorted_outs)
    g.name = f"blazeface_{spec.name}"
    m.doc_string = (f"MediaPipe BlazeFace {spec.name}-range face detector (mediapipe {MP_VERSION}, "
                    f"{os.path.basename(TFLITE[spec.name])}), converted by Mien training/blazeface/convert.py. "
                    f"Input NCHW RGB [-1,1] {spec.size}x{spec.size}; decode as in Models/BLAZEFACE.md. {license_note}")
    del m.metadata_props[:]
    for k, v in {"source": f"pypi:mediapipe=={MP_VERSION}/{TFLITE[spec.name]}", "license": "Apache-2.0",
                 "input": f"input [1,3,{spec.size},{spec.size}] float32 RGB (x-127.5)/127.5, letterboxed",
                 "outputs": f"regressors [1,{spec.num_anchors},16], classificators [1,{spec.num_anchors},1]",
                 "decoding": "Models/BLAZEFACE.md"}.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    shape = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
    assert shape == [1, 3, spec.size, spec.size], shape
    for o, n in zip(g.output, [16, 1]):
        assert [d.dim_value for d in o.type.tensor_type.shape.dim] == [1, spec.num_anchors, n]
    onnx.save(m, onnx_path)
    log(f"wrote {os.path.relpath(onnx_path, ROOT)} ({os.path.getsize(onnx_path)} bytes)")


# ---------------------------------------------------------------------------------------------------- 4. verify
def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100.0, 100.0)))


def sample_images() -> list:
    files = sorted(glob.glob(os.path.join(SAMPLES, "*.jpg")) + glob.glob(os.path.join(SAMPLES, "*.png")))
    if not files:
        log(f"WARNING: no sample images in {SAMPLES}; parity is checked on random inputs only")
    return files


def verify(tflite_paths: dict, models_dir: str, report: dict, timing_runs: int) -> bool:
    import cv2
    import onnxruntime as ort

    cv2.setNumThreads(1)
    ok = True
    images = sample_images()
    report["opencv_version"] = cv2.__version__
    report["onnxruntime_version"] = ort.__version__
    report["models"] = {}
    for key in ("short", "full"):
        spec = bf.SPECS[key]
        onnx_path = os.path.join(models_dir, spec.file)
        it = tflite_interpreter(tflite_paths[key])  # default CPU interpreter (XNNPACK), as MediaPipe runs it
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        net = cv2.dnn.readNetFromONNX(onnx_path)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)

        inputs = []
        for path in images:
            rgb = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            inputs.append((os.path.basename(path), bf.to_blob(bf.letterbox_image(rgb, spec.size)[0])))
        rs = np.random.RandomState(0)
        for i in range(3):
            inputs.append((f"random{i}", rs.uniform(-1, 1, (1, 3, spec.size, spec.size)).astype(np.float32)))

        worst = {"ort": [0.0, 0.0, 0.0], "opencv": [0.0, 0.0, 0.0]}  # regressors, logits, sigmoid score
        per_input = {}
        for name, blob in inputs:
            ref = run_tflite(it, np.ascontiguousarray(blob.transpose(0, 2, 3, 1)))
            got_ort = sess.run(OUT_NAMES, {"input": blob})
            net.setInput(blob, "input")
            got_cv = [o.reshape(r.shape) for o, r in zip(net.forward(OUT_NAMES), ref)]
            row = {}
            for tag, got in (("ort", got_ort), ("opencv", got_cv)):
                d = [float(np.abs(got[0] - ref[0]).max()), float(np.abs(got[1] - ref[1]).max()),
                     float(np.abs(sigmoid(got[1]) - sigmoid(ref[1])).max())]
                worst[tag] = [max(a, b) for a, b in zip(worst[tag], d)]
                row[tag] = {"regressors": d[0], "classificators": d[1], "score": d[2]}
            per_input[name] = row
        # regressors are in input pixels (|x| up to ~200) and logits reach tens: float32 rounding in a different
        # kernel order gives ~1e-4..1e-3 there; what decoding sees is the score and the box, checked tightly here
        mok = all(w <= 5e-3 for w in worst["opencv"][:2]) and worst["opencv"][2] <= 1e-5
        ok &= mok
        log(f"[{key}] max |onnx - tflite| over {len(inputs)} inputs: "
            f"onnxruntime reg {worst['ort'][0]:.2e} logit {worst['ort'][1]:.2e} score {worst['ort'][2]:.2e}; "
            f"OpenCV DNN reg {worst['opencv'][0]:.2e} logit {worst['opencv'][1]:.2e} score {worst['opencv'][2]:.2e}"
            f" -> {'OK' if mok else 'TOO LARGE'}")

        # timings: OpenCV DNN forward only, and the whole detect() (letterbox + blob + forward + decode + NMS)
        blob = inputs[0][1]
        for _ in range(10):
            net.setInput(blob, "input")
            net.forward(OUT_NAMES)
        ts = []
        for _ in range(timing_runs):
            t0 = time.perf_counter()
            net.setInput(blob, "input")
            net.forward(OUT_NAMES)
            ts.append(time.perf_counter() - t0)
        fwd_ms = float(np.median(ts) * 1e3)
        fwd_min_ms = float(np.min(ts) * 1e3)

        det = bf.BlazeFace(key, models_dir)
        faces, det_ms = {}, {}
        for path in images:
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            for _ in range(3):
                dets = det.detect(img)
            tt = []
            for _ in range(max(5, timing_runs // 10)):
                t0 = time.perf_counter()
                dets = det.detect(img)
                tt.append(time.perf_counter() - t0)
            name = os.path.basename(path)
            det_ms[name] = round(float(np.median(tt) * 1e3), 2)
            faces[name] = [{"score": round(d.score, 3), "box_xyxy": [round(float(v), 1) for v in d.box],
                            "keypoints": [[round(float(x), 1), round(float(y), 1)] for x, y in d.keypoints]}
                           for d in dets]
            log(f"[{key}] {name} ({img.shape[1]}x{img.shape[0]}): {len(dets)} face(s), detect {det_ms[name]} ms: "
                + "; ".join(f"{d.score:.2f} [{d.box[0]:.0f},{d.box[1]:.0f},{d.box[2]:.0f},{d.box[3]:.0f}]"
                            for d in dets))
        log(f"[{key}] OpenCV DNN forward, 1 thread: median {fwd_ms:.2f} ms, min {fwd_min_ms:.2f} ms "
            f"over {timing_runs} runs (load average {os.getloadavg()[0]:.2f})")
        report["models"][key] = {
            "file": f"Models/{spec.file}",
            "bytes": os.path.getsize(onnx_path),
            "sha256": sha256(onnx_path),
            "source_tflite": TFLITE[key],
            "source_tflite_sha256": sha256(tflite_paths[key]),
            "input": [1, 3, spec.size, spec.size],
            "num_anchors": spec.num_anchors,
            "max_abs_diff_vs_tflite": {t: dict(zip(["regressors", "classificators", "score"], worst[t]))
                                       for t in worst},
            "max_abs_diff_per_input": per_input,
            "opencv_forward_ms_1thread_median": round(fwd_ms, 2),
            "opencv_forward_ms_1thread_min": round(fwd_min_ms, 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "opencv_detect_ms_1thread_median": det_ms,
            "faces": faces,
            "parity_ok": bool(mok),
        }
    return ok


LICENSE_HEADER = """BlazeFace face detection models in this folder: blazeface_short.onnx, blazeface_full.onnx
====================================================================================

Source: the PyPI wheel mediapipe=={v} (https://pypi.org/project/mediapipe/), files
  mediapipe/modules/face_detection/face_detection_short_range.tflite
  mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite
Copyright The MediaPipe Authors (Google LLC). Licensed under the Apache License, Version 2.0; the licence text
shipped in that wheel (mediapipe-{v}.dist-info/LICENSE) follows below, unchanged.

Modifications (Apache-2.0 section 4(b)): the Mien project converted these files to ONNX with
training/blazeface/convert.py: the sparse full-range weights were densified (identical values, DENSIFY ops
removed), both models were converted by tf2onnx 1.16.1 (opset 13) with an NCHW input, and the input/output tensors
and internal nodes were renamed. The weights and the computation are otherwise unchanged.

----------------------------------------------------------------------------------------------------------------

"""


def write_license(paths: dict, models_dir: str) -> None:
    if "license" not in paths:
        raise SystemExit("the mediapipe wheel has no LICENSE file; cannot write Models/BLAZEFACE_LICENSE.txt")
    with open(paths["license"], encoding="utf-8") as f:
        text = f.read()
    dst = os.path.join(models_dir, "BLAZEFACE_LICENSE.txt")
    with open(dst, "w", encoding="utf-8") as f:
        f.write(LICENSE_HEADER.format(v=MP_VERSION) + text)
    log(f"wrote {os.path.relpath(dst, ROOT)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", default=os.path.join(ROOT, ".whl"), help="where the mediapipe wheel is kept")
    ap.add_argument("--work", default=os.path.join(ROOT, ".whl", "blazeface-work"), help="scratch folder")
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "Models"))
    ap.add_argument("--report", default=os.path.join(HERE, "report.json"))
    ap.add_argument("--verify-only", action="store_true", help="skip the conversion, check the existing ONNX files")
    ap.add_argument("--timing-runs", type=int, default=200)
    args = ap.parse_args(argv)

    os.makedirs(args.work, exist_ok=True)
    wheel = find_wheel(args.wheel_dir)
    log(f"wheel: {os.path.basename(wheel)}")
    paths = extract(wheel, args.work)
    import onnx
    import tensorflow as tf
    import tf2onnx
    report = {"mediapipe_wheel": os.path.basename(wheel), "tensorflow": tf.__version__,
              "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__, "python": platform.python_version(),
              "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs"}
    if not args.verify_only:
        dense = os.path.join(args.work, "face_detection_full_range_dense.tflite")
        report["densify"] = densify(paths["full"], dense)
        note = "Model: Copyright The MediaPipe Authors, Apache License 2.0 (Models/BLAZEFACE_LICENSE.txt)."
        os.makedirs(args.models_dir, exist_ok=True)
        to_onnx(paths["short"], os.path.join(args.models_dir, bf.SPECS["short"].file), bf.SPECS["short"], note)
        to_onnx(dense, os.path.join(args.models_dir, bf.SPECS["full"].file), bf.SPECS["full"], note)
        write_license(paths, args.models_dir)
    ok = verify(paths, args.models_dir, report, args.timing_runs)
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
