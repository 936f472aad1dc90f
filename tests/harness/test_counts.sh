#!/usr/bin/env bash
# Issue 13: the count metrics need a build without sanitizers (valgrind cannot run an ASan
# binary; the allocation counter is compiled out there). This runs test_counts against the
# release tree (build/release, brought up to date first; ./scripts/test builds it before the
# suites), or a plain tree of its own when there is none.
# Usage: test_counts.sh <source dir> <test_counts executable>
set -euo pipefail
src=$(cd "${1:?usage: test_counts.sh <source dir> <test executable>}" && pwd)
test_bin=${2:?usage: test_counts.sh <source dir> <test executable>}
targets=(ccbench ccbench-spawn ccbench-scenario ccbench-counts ccbench-floor)
if [ -f "$src/build/release/CMakeCache.txt" ]; then
    tree=$src/build/release
else
    tree=${TMPDIR:-/tmp}/ccbench-counts-test-tree
    cmake -S "$src" -B "$tree" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >"$tree.log" 2>&1 ||
        { cat "$tree.log" >&2; echo "test_counts: FAIL: cannot configure a plain tree" >&2; exit 1; }
fi
cmake --build "$tree" -j2 --target "${targets[@]}" >"${TMPDIR:-/tmp}/ccbench-counts-build.log" 2>&1 ||
    { tail -30 "${TMPDIR:-/tmp}/ccbench-counts-build.log" >&2; echo "test_counts: FAIL: build" >&2; exit 1; }
CCB_TEST_BINARY_DIR=$tree CCB_TEST_SOURCE_DIR=$src exec "$test_bin"
