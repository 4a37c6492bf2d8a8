#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install, build, run every test. Idempotent.
# Tests that need ../shared/data (FER2013, RAVDESS) skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
# The end-to-end tests run the real `mien` binary, so build it before the tests.
swift build --build-tests
export MIEN_HOME="$(mktemp -d)"
# The batch tests' PostgreSQL server (they skip with a message when none is reachable).
scripts/start-postgres.sh || true
swift test --skip-build
# `mien serve` from outside, on loopback: schemathesis, bad input under a bounded load, SIGTERM (docs/SERVER.md).
./scripts/server-checks.sh "$(swift build --show-bin-path)/mien"
