#!/usr/bin/env bash
# Coverage-guided fuzzing, one harness per target:
#
#   fuzz/run.sh TARGET [SECONDS] [RUNS]
#
#   image_decode   the C++ image bridge (OpenCV's decoders behind Mien's header check), clang + libFuzzer + ASan/UBSan
#   image_header   Mien's own header reader (MienCore/Input/ImageHeader.swift), swiftc -sanitize=fuzzer,address
#   core_json      the JSON Mien reads back: model spec, mien/1 results, video frame lines (MienCore Codable types)
#   mjpeg_split    the MJPEG stream splitter of `mien live` and the live WebSocket (CMienVision/mjpeg_splitter.hpp), clang
#   landmark_model Mien's decoder of dlib's landmark model file (CMienVision/landmarks.cpp), clang + dlib + OpenCV
#   store_records  the audit log as `mien audit verify` reads it, and the job store's result line files (MienStore),
#                  swiftc; needs the package built first (swift build --scratch-path "$SCRATCH"), for GRDB and Crypto
#   multipart      the server's multipart/form-data reader (MienServer/Analysis/MultipartForm.swift), swiftc
#   api_keys       the server's API key store: tokens looked up as the Authorization header brings them, key names,
#                  key rows edited outside Mien (MienStore/Keys/APIKeyStore.swift); built like store_records
#   job_records    the rows of `mien batch`'s run file edited outside Mien, read by status, resume, claim and export
#                  (MienStore/Jobs/SQLiteJobStore.swift); built like store_records
#
# SCRATCH: the package's build folder (default .build). Corpora start from the seeds in fuzz/corpus/TARGET (and the
# test fixtures) and grow under out/fuzz/ (gitignored); findings are written there as crash-*/timeout-*/oom-* and
# become inputs under fuzz/regressions/ with a test in Tests/MienTests/FuzzRegressionTests.swift. Fuzzing runs
# outside CI. The whole libFuzzer log of the last run is kept as out/fuzz/TARGET.log.
#
# SANITIZE (store_records, api_keys, job_records only): the swiftc sanitizers, default fuzzer,address. With
# SANITIZE=fuzzer the store harnesses run 4x faster (job_records replaying its 193-input corpus: 2.85 → 0.65 s of CPU): ASan's
# allocator was three quarters of their time, nearly all of it SQLite's and GRDB's mallocs, and neither SQLite nor the
# release-built GRDB is instrumented. Swift's own checks (bounds, overflow, nil) trap either way; what is lost is ASan
# on the harness's and MienStore's Swift code (no unsafe pointers on the key and job store paths).
# FUZZ_ARGS: more libFuzzer flags (e.g. -fork=2, -seed=7), appended as given.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: fuzz/run.sh image_decode|image_header|core_json|mjpeg_split|landmark_model|store_records|multipart|api_keys|job_records [SECONDS] [RUNS]}"
seconds="${2:-60}"
runs="${3:--1}"
out=out/fuzz && mkdir -p "$out/corpus-$target"
[ -d "fuzz/corpus/$target" ] && { cp -n fuzz/corpus/"$target"/* "$out/corpus-$target/" || true; }
CLANG="${CLANG:-$(command -v clang || echo /opt/swift/usr/bin/clang)}"
SCRATCH="${SCRATCH:-.build}"
case "$target" in
  image_decode)
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
  mjpeg_split)
    "$CLANG" -g -O1 -std=c++17 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I Sources/CMienVision -x c++ fuzz/mjpeg_split_fuzzer.cpp -x none -lstdc++ -o "$out/$target"
    max_len=16384 ;;
  landmark_model)
    "$CLANG" -g -O1 -std=c++17 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I Sources/CMienVision/include -I Sources/CMienVision -I /usr/include/opencv4 \
      -x c++ fuzz/landmark_model_fuzzer.cpp Sources/CMienVision/landmarks.cpp -x none -lstdc++ \
      -ldlib -lblas -llapack -lopencv_core -lopencv_imgproc -o "$out/$target"
    max_len=16384 ;;
  store_records|api_keys|job_records)
    debug="$SCRATCH/debug" checkouts="$SCRATCH/checkouts"
    [ -d "$debug/GRDB.build" ] || { echo "build the package first: swift build --scratch-path $SCRATCH" >&2; exit 2; }
    crypto="$checkouts/swift-crypto/Sources"
    # GRDB from the release build when there is one (swift build -c release --scratch-path "$SCRATCH" --target GRDB):
    # the debug build's unspecialised generics made GRDB most of a store harness's time. Its module alone is put on
    # the include path first, so Crypto's module still matches its debug objects.
    grdb="$debug" modules=(-I "$debug/Modules")
    if [ -f "$SCRATCH/release/Modules/GRDB.swiftmodule" ] && [ "${GRDB_CONFIG:-release}" = release ]; then
      mkdir -p "$out/grdb-release" && cp "$SCRATCH/release/Modules/GRDB.swiftmodule" "$out/grdb-release/"
      grdb="$SCRATCH/release" modules=(-I "$out/grdb-release" -I "$debug/Modules")
    fi
    swiftc -sanitize="${SANITIZE:-fuzzer,address}" -parse-as-library -O -module-name MienStore \
      "fuzz/swift/${target}_fuzzer.swift" fuzz/swift/shared/FuzzBytes.swift fuzz/swift/shared/FixtureRestore.swift $(find Sources/MienStore -name '*.swift') \
      "${modules[@]}" \
      -Xcc -fmodule-map-file="$checkouts/GRDB.swift/Sources/GRDBSQLite/module.modulemap" \
      -Xcc -fmodule-map-file="$crypto/CCryptoBoringSSLShims/include/module.modulemap" \
      -Xcc -I -Xcc "$crypto/CCryptoBoringSSLShims/include" \
      -Xcc -fmodule-map-file="$crypto/CCryptoBoringSSL/include/module.modulemap" -Xcc -I -Xcc "$crypto/CCryptoBoringSSL/include" \
      $(find "$grdb/GRDB.build" "$debug"/{Crypto,CryptoBoringWrapper,CCryptoBoringSSL,CCryptoBoringSSLShims}.build/ -name '*.o') \
      -lsqlite3 -o "$out/$target"
    max_len=8192 ;;
  multipart)
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MienServer fuzz/swift/multipart_fuzzer.swift \
      Sources/MienServer/Analysis/MultipartForm.swift -o "$out/$target"
    max_len=8192 ;;
  *) echo "unknown target '$target'" >&2; exit 2 ;;
esac
cd "$out"
"./$target" "corpus-$target" -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
  -max_len="$max_len" -print_final_stats=1 ${FUZZ_ARGS:-} 2>&1 | tee "$target.log" | tail -20
