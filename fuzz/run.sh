#!/usr/bin/env bash
# Builds the libFuzzer harness with AddressSanitizer + UBSan and runs it for N seconds (default 60) on a corpus
# seeded from the test fixtures. Needs clang with libFuzzer (the Swift toolchain's clang has it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CLANG="${CLANG:-$(command -v clang || echo /opt/swift/usr/bin/clang)}"
out=out/fuzz && mkdir -p "$out/corpus"
cp -n Tests/Fixtures/images/*.{jpg,png,webp,bmp,tiff} "$out/corpus/" 2>/dev/null || true
"$CLANG" -g -O1 -std=c++17 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I Sources/CMienVision/include -I Sources/CMienVision -I /usr/include/opencv4 \
  -x c++ fuzz/image_decode_fuzzer.cpp Sources/CMienVision/image.cpp -x none -lstdc++ \
  -lopencv_core -lopencv_imgproc -lopencv_imgcodecs -o "$out/image_decode_fuzzer"
# Images over 64 MB of pixels are refused upstream by the header check; cap OpenCV the same way here.
export OPENCV_IO_MAX_IMAGE_PIXELS=50000000
"$out/image_decode_fuzzer" "$out/corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=200000 \
  -print_final_stats=1 2>&1 | tail -20
