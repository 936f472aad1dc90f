#!/usr/bin/env bash
# scripts/deps --check on this (complete) machine: exit 0; with a cmake older than the presets
# need first on PATH: exit 1 naming the version and what to do. Nothing is installed.
# Usage: test_deps.sh <source dir>
set -euo pipefail
src=$(cd "${1:?usage: test_deps.sh <source dir>}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ccb-test-deps-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "test_deps: FAIL: $*" >&2; exit 1; }

"$src/scripts/deps" --check || fail "scripts/deps --check exits $? on a machine that builds"
printf '#!/bin/sh\necho "cmake version 3.18.4"\n' > "$work/cmake"
chmod +x "$work/cmake"
rc=0
PATH="$work:$PATH" "$src/scripts/deps" --check 2> "$work/err" || rc=$?
[ "$rc" -eq 1 ] || fail "an old cmake: exit $rc, expected 1"
grep -q "cmake 3.18 is older than 3.25" "$work/err" || fail "no message naming the version: $(cat "$work/err")"
echo "test_deps: ok"
