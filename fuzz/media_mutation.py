#!/usr/bin/env python3
"""Mutation fuzzing of the system decoders behind the release binary (driven by fuzz/media_mutation.sh).

Every mutated file goes through the real `mien` binary under a per-process address-space limit (RLIMIT_AS, as
`ulimit -v`) and a wall-clock limit. A run must end with a result (exit 0) or a typed error (exit 1 with an
`error: ...` message naming the input, and for `mien analyze --json` the input listed under "errors"). Anything else
is counted: a crash (killed by a signal), a hang (the time limit), or an untyped ending (another exit code, exit 1
without a message, output that is not the JSON document).

Images are run in batches of BATCH files of one format per process (the binary loads its models in ~0.7 s, which
would otherwise be most of the run); a batch that does not end cleanly is run again one file per process to name the
file. The first SINGLE files of each image format run one per process, so that per-input RSS and time are measured
for images too (a batch's peak RSS is an upper bound for each of its files). Videos and audio run one per process.

Writes out/fuzz-media/summary.json and prints a table: per input class, files, processes, results, typed errors,
crashes, hangs, untyped endings, max RSS (MB) and max wall time of one process, and the seed's own RSS for comparison.
Failing cases are kept under out/fuzz-media/failures/, the largest-RSS case of each class under out/fuzz-media/max/.
"""
import json, os, random, resource, shutil, signal, subprocess, sys, time, zlib

MIEN = os.environ.get("MIEN", ".build/release/mien")
MEM_KB = int(os.environ.get("MEM_KB", "2097152"))      # 2 GiB of address space per process
WORK = os.environ.get("WORK", "out/fuzz-media")
BATCH = int(os.environ.get("BATCH", "25"))
SINGLE = int(os.environ.get("SINGLE", "60"))
IMAGE_LIMIT_S = float(os.environ.get("IMAGE_LIMIT_S", "20"))    # per image; a batch gets BATCH times this
MEDIA_LIMIT_S = float(os.environ.get("MEDIA_LIMIT_S", "30"))    # per video or audio file

INTERESTING = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x10, 0x40]
INTERESTING_WIDE = [b"\x00\x00", b"\xff\xff", b"\x7f\xff", b"\x80\x00", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff",
                    b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00", b"\x00\x01\x00\x00", b"\x00\x00\x01\x00"]


def png_chunks(b):
    """(offset of the length field, length, type) of each chunk, or [] when the file is not a well-formed PNG."""
    chunks, i = [], 8
    while i + 12 <= len(b):
        length = int.from_bytes(b[i:i + 4], "big")
        if i + 12 + length > len(b):
            return []
        chunks.append((i, length, bytes(b[i + 4:i + 8])))
        i += 12 + length
    return chunks


def mutate_png_chunk(b, r):
    """Change bytes inside one chunk (IHDR's sizes, a palette, compressed pixels) and write a correct CRC, so that
    libpng's CRC check does not refuse the file before the decoder sees the change."""
    chunks = png_chunks(b)
    if not chunks:
        return None
    at, length, kind = r.choice(chunks)
    if length == 0:
        return None
    data = bytearray(b[at + 8:at + 8 + length])
    for _ in range(r.randint(1, 8)):
        if kind == b"IHDR" and r.random() < 0.5:      # width, height: any 32-bit value
            k = r.choice([0, 4])
            data[k:k + 4] = r.choice(INTERESTING_WIDE[4:] + [r.randrange(1 << 32).to_bytes(4, "big")])
        else:
            data[r.randrange(length)] = r.randrange(256)
    out = bytearray(b)
    out[at + 8:at + 8 + length] = data
    out[at + 8 + length:at + 12 + length] = zlib.crc32(bytes(kind) + bytes(data)).to_bytes(4, "big")
    return bytes(out)


def mutate(seed_bytes, seed):
    """One of eight mutations, chosen by the seed; header bytes are favoured because the parsers branch there. Half
    of the PNG cases change one chunk and keep its CRC right instead."""
    r = random.Random(seed)
    if seed_bytes.startswith(b"\x89PNG") and seed % 16 >= 8:
        out = mutate_png_chunk(seed_bytes, r)
        if out is not None:
            return out
    b = bytearray(seed_bytes)
    n = len(b)
    head = min(n, 1024)
    op = seed % 8
    if op == 0:                                   # flip random bytes, half of them in the first KB
        for _ in range(r.randint(1, 64)):
            i = r.randrange(head) if r.random() < 0.5 else r.randrange(n)
            b[i] = r.randrange(256)
    elif op == 1:                                 # cut off
        b = b[: r.randrange(1, n)]
    elif op == 2:                                 # zero a run
        i = r.randrange(n)
        k = min(n - i, r.randint(1, 5000))
        b[i:i + k] = bytes(k)
    elif op == 3:                                 # the header, then random bytes
        b = b[: r.randint(8, 512)] + bytes(r.randrange(256) for _ in range(r.randint(0, 20000)))
    elif op == 4:                                 # interesting values (sizes, counts, offsets) in the header
        for _ in range(r.randint(1, 8)):
            v = r.choice(INTERESTING_WIDE)
            i = r.randrange(max(1, head - len(v)))
            if r.random() < 0.5:
                v = v[::-1]
            b[i:i + len(v)] = v
    elif op == 5:                                 # splice: a block copied elsewhere (duplicated chunks, markers)
        for _ in range(r.randint(1, 3)):
            i = r.randrange(n)
            k = r.randint(1, min(4096, n - i))
            j = r.randrange(len(b))
            b[j:j] = b[i:i + k]
    elif op == 6:                                 # remove a block
        i = r.randrange(n)
        del b[i:i + r.randint(1, 4096)]
    else:                                         # single-byte interesting values anywhere, few
        for _ in range(r.randint(1, 4)):
            b[r.randrange(n)] = r.choice(INTERESTING)
    if not b:
        b = bytearray(b"\x00")
    return bytes(b)


def run(argv, limit_s):
    """Run argv under the address-space limit; returns (kind, rc, wall_s, maxrss_kb, stdout, stderr)."""
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (MEM_KB * 1024, MEM_KB * 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()
    start = time.monotonic()
    out_path, err_path = os.path.join(WORK, "stdout"), os.path.join(WORK, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=limits)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > limit_s:
                timed_out = True
                os.killpg(p.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        p.returncode = 0
    wall = time.monotonic() - start
    stdout = open(out_path, "rb").read()
    stderr = open(err_path, "rb").read().decode("utf-8", "replace")
    if timed_out:
        return "hang", None, wall, usage.ru_maxrss, stdout, stderr
    if os.WIFSIGNALED(status):
        return "crash", -os.WTERMSIG(status), wall, usage.ru_maxrss, stdout, stderr
    rc = os.WEXITSTATUS(status)
    if rc == 0:
        return "ok", rc, wall, usage.ru_maxrss, stdout, stderr
    if rc == 1 and "error:" in stderr.lower():
        return "error", rc, wall, usage.ru_maxrss, stdout, stderr
    return "untyped", rc, wall, usage.ru_maxrss, stdout, stderr


def check_analyze_json(stdout, files):
    """Every file must be answered: listed under images (a result) or errors (with a message). Returns the number
    of results and of typed errors, or None when a file is not answered or the output is not the JSON document."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None
    results = {i.get("source") for i in doc.get("images", [])}
    errors = {e.get("source") for e in doc.get("errors", []) if e.get("error")}
    if not all(f in results or f in errors for f in files):
        return None
    return sum(f in results for f in files), sum(f in errors and f not in results for f in files)


class Stats:
    def __init__(self, name):
        self.name = name
        self.files = self.processes = 0
        self.counts = {"ok": 0, "error": 0, "crash": 0, "hang": 0, "untyped": 0}
        self.max_rss_kb = self.single_max_rss_kb = 0
        self.max_wall = self.single_max_wall = 0.0
        self.max_case = None
        self.seed_rss_kb = 0
        self.failures = []

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items()}


def keep(path, folder):
    os.makedirs(os.path.join(WORK, folder), exist_ok=True)
    dst = os.path.join(WORK, folder, os.path.basename(path))
    shutil.copyfile(path, dst)
    return dst


def record(stats, kind, wall, rss, files, stderr, single):
    stats.processes += 1
    if single:
        stats.single_max_rss_kb = max(stats.single_max_rss_kb, rss)
        stats.single_max_wall = max(stats.single_max_wall, wall)
    if rss > stats.max_rss_kb:
        stats.max_rss_kb = rss
        stats.max_case = [keep(f, "max/" + stats.name) for f in files] if single else [os.path.basename(f) for f in files]
    stats.max_wall = max(stats.max_wall, wall)
    if kind in ("crash", "hang", "untyped"):
        kept = [keep(f, "failures") for f in files]
        stats.failures.append({"kind": kind, "files": kept, "stderr": stderr[-2000:]})
        print(f"  {stats.name}: {kind} on {kept}: {stderr[-300:]!r}", flush=True)


def analyze_argv(files):
    return [MIEN, "analyze", "--json"] + files


def image_class(name, seeds, count):
    stats = Stats(name)
    seeds = [os.path.abspath(s) for s in seeds]
    seed_data = [(s, open(s, "rb").read()) for s in seeds]
    ext = os.path.splitext(seeds[0])[1]
    cases = os.path.abspath(os.path.join(WORK, "cases", name))   # the binary reports absolute paths as sources
    os.makedirs(cases, exist_ok=True)
    kind, _, _, rss, _, _ = run(analyze_argv(seeds), IMAGE_LIMIT_S * len(seeds))
    stats.seed_rss_kb = rss
    i = 0
    while i < count:
        n = 1 if i < SINGLE else min(BATCH, count - i)
        files = []
        for k in range(i, i + n):
            src, data = seed_data[k % len(seed_data)]
            f = os.path.join(cases, f"{name}_{k}{ext}")
            open(f, "wb").write(mutate(data, k))
            files.append(f)
        kind, rc, wall, rss, stdout, stderr = run(analyze_argv(files), IMAGE_LIMIT_S * n)
        answered = check_analyze_json(stdout, files) if kind in ("ok", "error") else None
        if kind in ("ok", "error") and answered is None:
            kind = "untyped"
        stats.files += n
        if n > 1 and kind not in ("ok", "error"):
            # Name the file: every one alone.
            stats.processes += 1
            print(f"  {name}: batch {i}..{i + n - 1} ended '{kind}' (rc {rc}); each file alone:", flush=True)
            for f in files:
                k1, rc1, w1, r1, o1, e1 = run(analyze_argv([f]), IMAGE_LIMIT_S)
                if k1 in ("ok", "error") and check_analyze_json(o1, [f]) is None:
                    k1 = "untyped"
                stats.counts[k1] += 1
                record(stats, k1, w1, r1, [f], e1, True)
        else:
            if answered is not None:
                stats.counts["ok"] += answered[0]
                stats.counts["error"] += answered[1]
            else:
                stats.counts[kind] += 1
            record(stats, kind, wall, rss, files, stderr, n == 1)
        for f in files:
            os.remove(f)
        i += n
    return stats


def media_class(name, argv_for, seeds, count):
    stats = Stats(name)
    seed_data = [(s, open(s, "rb").read()) for s in seeds]
    cases = os.path.join(WORK, "cases", name)
    os.makedirs(cases, exist_ok=True)
    stats.seed_rss_kb = max(run(argv_for(s), MEDIA_LIMIT_S)[3] for s in seeds)
    for k in range(count):
        src, data = seed_data[k % len(seed_data)]
        f = os.path.join(cases, f"{name}_{k}{os.path.splitext(src)[1]}")
        open(f, "wb").write(mutate(data, k))
        kind, rc, wall, rss, stdout, stderr = run(argv_for(f), MEDIA_LIMIT_S)
        stats.files += 1
        stats.counts[kind] += 1
        record(stats, kind, wall, rss, [f], stderr, True)
        os.remove(f)
    return stats


def main():
    seeds_dir, per_format, videos, audios = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    only = sys.argv[5].split(",") if len(sys.argv) > 5 else None
    os.makedirs(WORK, exist_ok=True)
    seeds = sorted(os.listdir(seeds_dir))
    pick = lambda exts: [os.path.join(seeds_dir, s) for s in seeds if s.lower().endswith(exts)]
    classes = [
        ("jpeg", lambda: image_class("jpeg", pick((".jpg", ".jpeg")), per_format)),
        ("png", lambda: image_class("png", pick((".png",)), per_format)),
        ("webp", lambda: image_class("webp", pick((".webp",)), per_format)),
        ("bmp", lambda: image_class("bmp", pick((".bmp",)), per_format)),
        ("tiff", lambda: image_class("tiff", pick((".tif", ".tiff")), per_format)),
        ("video", lambda: media_class("video", lambda f: [MIEN, "video", "--measures-only", "--jsonl",
                                                         os.path.join(WORK, "video.jsonl"), f],
                                      pick((".mp4", ".webm", ".avi", ".mov")), videos)),
        ("audio", lambda: media_class("audio", lambda f: [MIEN, "voice", "--measures-only", "--json", f],
                                      pick((".wav", ".flac", ".ogg", ".mp3")), audios)),
    ]
    results = []
    started = time.monotonic()
    for name, go in classes:
        if only and name not in only:
            continue
        t = time.monotonic()
        s = go()
        results.append(s)
        c = s.counts
        print(f"{name}: {s.files} files in {s.processes} processes, {c['ok']} results, {c['error']} typed errors, "
              f"{c['crash']} crashes, {c['hang']} hangs, {c['untyped']} untyped; max RSS {s.max_rss_kb / 1024:.0f} MB "
              f"(one file per process: {s.single_max_rss_kb / 1024:.0f} MB; seed {s.seed_rss_kb / 1024:.0f} MB), "
              f"max wall {s.max_wall:.2f} s (one file: {s.single_max_wall:.2f} s); {time.monotonic() - t:.0f} s",
              flush=True)
        json.dump({"mien": MIEN, "mem_kb": MEM_KB, "batch": BATCH, "single": SINGLE,
                   "classes": [r.as_dict() for r in results]},
                  open(os.path.join(WORK, "summary.json"), "w"), indent=1)
    total = sum(s.files for s in results)
    bad = sum(s.counts["crash"] + s.counts["hang"] + s.counts["untyped"] for s in results)
    print(f"total: {total} files, {sum(s.processes for s in results)} processes, {bad} crashes/hangs/untyped, "
          f"{time.monotonic() - started:.0f} s; limits: {MEM_KB} KB address space, "
          f"{IMAGE_LIMIT_S:.0f} s per image, {MEDIA_LIMIT_S:.0f} s per video or audio file")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
