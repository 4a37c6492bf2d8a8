"""Speed of the `fer` PyPI package on a video, for a side-by-side with `mien bench --video`.

    .venv-fer/bin/python training/peers/bench_fer_video.py VIDEO [--frames 200] [--out JSON]
    .venv-fer/bin/python training/peers/bench_fer_video.py --make-640x480      # also bench a 640x480 version

fer runs as its users run it: FER() with its defaults (OpenCV Haar-cascade face detector, the quantized TFLite
emotion model, TensorFlow's default threading), on the first N frames. Each mode runs in its own child process so
that its peak RSS (ru_maxrss) is its own:

  analyze         fer.classes.Video(path).analyze(FER(), max_results=N, output="pandas", save_frames=False,
                  save_video=False, annotate_frames=False, zip_images=False)   -- analysis only, nothing written
  analyze-default the same with analyze()'s own defaults (annotated frames saved, annotated video written, frames
                  zipped), output="pandas" (its default "csv" writes ./data.csv), written to a temporary folder
  loop            cv2.VideoCapture + FER.detect_emotions(frame) per frame, with per-stage times (decode, Haar
                  detection, emotion classifier incl. crop/resize, rest)

frames/s = frames processed / wall time of the processing (model loading and video opening excluded, reported
apart). The 640x480 version is made with ffmpeg from the sample (scaled to 854x480, the right-hand 640 columns,
where the face is) and kept in out/bench/ (gitignored).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SAMPLE = os.path.normpath(os.path.join(ROOT, "..", "shared", "samples",
                                       "pexels_wolfgang_langer_3063838_expressions.mp4"))
BENCH_DIR = os.path.join(ROOT, "out", "bench")
VGA_NAME = "expressions_640x480.mp4"
FFMPEG_VGA = ["-vf", "scale=854:480,crop=640:480:214:0", "-c:v", "libx264", "-preset", "medium", "-crf", "18",
              "-pix_fmt", "yuv420p", "-an", "-threads", "1"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def video_info(path: str) -> dict:
    import cv2

    cap = cv2.VideoCapture(path)
    info = {"width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(cap.get(cv2.CAP_PROP_FPS), 3), "frames": int(cap.get(cv2.CAP_PROP_FRAME_COUNT))}
    cap.release()
    return info


# ------------------------------------------------------------------------------------------- child process modes
def child(mode: str, path: str, frames: int) -> dict:
    t_import = time.perf_counter()
    import cv2
    import numpy as np
    from fer.classes import Video
    from fer.fer import FER  # `from fer import FER` is broken in fer 25.10.x

    t0 = time.perf_counter()
    detector = FER()
    load_s = time.perf_counter() - t0
    import_s = t0 - t_import
    out = {"mode": mode, "import_s": round(import_s, 3), "model_load_s": round(load_s, 3)}

    if mode in ("analyze", "analyze-default"):
        tmp = tempfile.mkdtemp(prefix="fer_bench_")
        try:
            video = Video(path, outdir=tmp)
            kw = dict(display=False, output="pandas", max_results=frames)
            if mode == "analyze":
                kw.update(save_frames=False, save_video=False, annotate_frames=False, zip_images=False)
            t0 = time.perf_counter()
            df = video.analyze(detector, **kw)
            wall = time.perf_counter() - t0
            n = video.frameCount  # frames read and processed
            out.update(frames=n, wall_s=round(wall, 3), fps=round(n / wall, 2),
                       frames_with_face=int(len(df)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    elif mode == "loop":
        stages = {"detect": 0.0, "classify": 0.0}
        find_faces, classify = detector.find_faces, detector._classify_emotions

        def timed(name, fn):
            def wrapper(*a, **k):
                t = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    stages[name] += time.perf_counter() - t
            return wrapper

        detector.find_faces = timed("detect", find_faces)
        detector._classify_emotions = timed("classify", classify)
        cap = cv2.VideoCapture(path)
        decode_s, n, with_face, faces_total = 0.0, 0, 0, 0
        t0 = time.perf_counter()
        while n < frames:
            t = time.perf_counter()
            ok, frame = cap.read()
            decode_s += time.perf_counter() - t
            if not ok:
                break
            res = detector.detect_emotions(frame)
            n += 1
            with_face += bool(res)
            faces_total += len(res)
        wall = time.perf_counter() - t0
        cap.release()
        per = {k: round(v * 1e3 / max(n, 1), 3) for k, v in stages.items()}
        per["decode"] = round(decode_s * 1e3 / max(n, 1), 3)
        per["rest"] = round(wall * 1e3 / max(n, 1) - sum(per.values()), 3)
        out.update(frames=n, wall_s=round(wall, 3), fps=round(n / wall, 2), frames_with_face=with_face,
                   faces_total=faces_total, ms_per_frame=per)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["numpy"] = np.__version__
    return out


# ------------------------------------------------------------------------------------------------------ parent
def make_vga(src: str) -> str:
    dst = os.path.join(BENCH_DIR, VGA_NAME)
    if os.path.exists(dst):
        return dst
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg not found: apt-get install ffmpeg, or pass a 640x480 video path")
    os.makedirs(BENCH_DIR, exist_ok=True)
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", src] + FFMPEG_VGA + [dst]
    print(" ".join(cmd), flush=True)
    subprocess.check_call(cmd)
    return dst


def run_modes(path: str, frames: int, modes: list, repeat: int) -> list:
    results = []
    for mode in modes:
        best = None
        for _ in range(repeat):
            r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", mode, path,
                                "--frames", str(frames)], capture_output=True, text=True)
            if r.returncode != 0:
                sys.stderr.write(r.stderr[-4000:])
                raise SystemExit(f"mode {mode} failed")
            res = json.loads(r.stdout.strip().splitlines()[-1])
            print(f"  {mode:16s} {res['frames']} frames  {res['fps']:7.2f} frames/s  peak RSS {res['peak_rss_mb']:.0f} MB"
                  + (f"  ms/frame {res['ms_per_frame']}" if "ms_per_frame" in res else "")
                  + f"  faces in {res['frames_with_face']} frames", flush=True)
            if best is None or res["fps"] > best["fps"]:
                best = res
        best["runs"] = repeat
        results.append(best)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video", nargs="?", default=SAMPLE)
    ap.add_argument("--frames", type=int, default=200, help="first N frames (default 200)")
    ap.add_argument("--modes", default="analyze,loop,analyze-default")
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode; the fastest is kept")
    ap.add_argument("--make-640x480", action="store_true", help=f"also bench out/bench/{VGA_NAME} (made with ffmpeg)")
    ap.add_argument("--out", default=os.path.join(HERE, "fer_video_bench.json"))
    ap.add_argument("--child", metavar="MODE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.video, args.frames)))
        return 0
    if not os.path.exists(args.video):
        raise SystemExit(f"{args.video}: no such video")

    import cv2
    import fer
    import tensorflow as tf

    videos = [args.video]
    if args.make_640x480:
        videos.append(make_vga(args.video))
    report = {
        "what": "fer (PyPI) end-to-end video speed, default FER() (Haar cascade + quantized TFLite emotion model)",
        "fer_version": fer.__version__, "tensorflow_version": tf.__version__, "opencv_version": cv2.__version__,
        "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "threads": "library defaults (TensorFlow / TFLite / OpenCV choose)",
        "frames_requested": args.frames, "ffmpeg_640x480": "ffmpeg -i SAMPLE " + " ".join(FFMPEG_VGA) + " OUT",
        "videos": [],
    }
    for v in videos:
        info = video_info(v)
        print(f"{os.path.relpath(v, ROOT)}: {info['width']}x{info['height']}, {info['fps']} fps, "
              f"{info['frames']} frames; first {args.frames}", flush=True)
        report["videos"].append({"path": os.path.relpath(v, ROOT), **info,
                                 "results": run_modes(v, args.frames, args.modes.split(","), args.repeat)})
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
