#!/usr/bin/env bash
# Coverage-guided fuzzing, one harness per target:
#
#   fuzz/run.sh TARGET [SECONDS] [RUNS]
#
#   image_decode   the C++ image bridge (OpenCV's decoders behind Mien's header check), clang + libFuzzer + ASan/UBSan
#   image_header   Mien's own header reader (MienCore/Input/ImageHeader.swift), swiftc -sanitize=fuzzer,address
#   core_json      the JSON Mien reads back: model spec, mien/1 results, video frame lines (MienCore Codable types)
#
# Corpora start from the test fixtures and grow under out/fuzz/ (gitignored); findings are written there as crash-*
# and become regression tests (Tests/MienCoreTests/FuzzRegressionTests.swift). Fuzzing runs outside CI.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: fuzz/run.sh image_decode|image_header|core_json [SECONDS] [RUNS]}"
seconds="${2:-60}"
runs="${3:--1}"
out=out/fuzz && mkdir -p "$out/corpus-$target"
case "$target" in
  image_decode)
    CLANG="${CLANG:-$(command -v clang || echo /opt/swift/usr/bin/clang)}"
    cp -n Tests/Fixtures/images/*.{jpg,png,webp,bmp,tiff} "$out/corpus-$target/" 2>/dev/null || true
    "$CLANG" -g -O1 -std=c++17 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I Sources/CMienVision/include -I Sources/CMienVision -I /usr/include/opencv4 \
      -x c++ fuzz/image_decode_fuzzer.cpp Sources/CMienVision/image.cpp -x none -lstdc++ \
      -lopencv_core -lopencv_imgproc -lopencv_imgcodecs -o "$out/$target"
    # Images over 64 MB of pixels are refused upstream by the header check; cap OpenCV the same way here.
    export OPENCV_IO_MAX_IMAGE_PIXELS=50000000
    max_len=200000 ;;
  image_header|core_json)
    cp -n Tests/Fixtures/images/* "$out/corpus-$target/" 2>/dev/null || true
    [ "$target" = core_json ] && cp -n Models/expression.json "$out/corpus-$target/" 2>/dev/null || true
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MienCore "fuzz/swift/${target}_fuzzer.swift" \
      $(find Sources/MienCore -name '*.swift') -o "$out/$target"
    max_len=8192 ;;
  *) echo "unknown target '$target'" >&2; exit 2 ;;
esac
cd "$out"
"./$target" "corpus-$target" -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
  -max_len="$max_len" -print_final_stats=1 2>&1 | tail -20
