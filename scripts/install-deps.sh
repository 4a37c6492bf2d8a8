#!/usr/bin/env bash
# Installs what Mien needs to build and run on Debian 12, as root. Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  # the C++ bridge: OpenCV 4.6 and dlib 19.24 (dlib's pkg-config needs BLAS/LAPACK), dlib's 68-point model (CC0)
  libopencv-dev libdlib-dev libdlib-data libblas-dev liblapack-dev opencv-data
  # audio and video: FFmpeg's libraries (decoding), the ffmpeg tool (tests make clips with it)
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev ffmpeg
  # SQLite for the audit log and result store (GRDB); xz to read the FER2013 dataset; test helpers
  libsqlite3-dev xz-utils sox
  # Swift 6 on Linux needs these at run time
  libcurl4-openssl-dev libxml2-dev
  # the scale-out job store's tests (mien batch --postgres, mien worker) run against a loopback server
  postgresql
  # `mien serve` tests: a real browser (headless) with its WebDriver, and wrk for the loopback load (docs/SERVER.md)
  chromium chromium-driver wrk
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The server's browser and contract tests drive Chromium with Selenium and the API with schemathesis (PyPI).
python3 -c "import selenium" 2>/dev/null || pip install -q "selenium>=4.20"
python3 -c "import schemathesis" 2>/dev/null || pip install -q "schemathesis>=3.30"

if ! command -v swift >/dev/null 2>&1; then
  for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "Swift 6 is not installed. Debian 12 does not package it: install the Swift 6 toolchain for Debian 12 from" >&2
  echo "swift.org (unpack it under /opt/swift) and run this again." >&2
  exit 1
fi
swift --version 2>/dev/null | head -1
