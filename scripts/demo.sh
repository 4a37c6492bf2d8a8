#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install, build, analyse the bundled sample photos.
# Prints faces with landmarks, head pose, movement measures and expression estimates, and writes annotated images
# to out/annotated/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
swift build -c release --product mien
mkdir -p out/annotated
# The local default purpose is personal-use; every run is recorded in the audit log under out/mien-home.
export MIEN_HOME="${MIEN_HOME:-$PWD/out/mien-home}"
.build/release/mien analyze Samples/ --annotate out/annotated
echo "annotated images: $(ls out/annotated | wc -l) in out/annotated/"
