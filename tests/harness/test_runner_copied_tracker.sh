#!/usr/bin/env bash
# Builds ccbench-scenario from this tree's scenarios/ against a COPY of tracker/ (what compare
# does with another revision's tracker), runs cold_init, then breaks the copy so the tracker
# answers wrongly and proves the very same runner reports wrong_answer instead of a time.
# Usage: test_runner_copied_tracker.sh SOURCE_DIR [CMAKE] [C_COMPILER]
set -euo pipefail

src=${1:?usage: $0 SOURCE_DIR [CMAKE] [C_COMPILER]}
cmake_bin=${2:-cmake}
cc=${3:-cc}
jobs=$(nproc 2>/dev/null || echo 2)

work=$(mktemp -d "${TMPDIR:-/tmp}/ccb-copied-tracker-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cp -a "$src/tracker" "$work/tracker"

build() {
    "$cmake_bin" --build "$work/build" -j"$jobs" --target ccbench-scenario >"$work/build.log" 2>&1 ||
        { tail -n 40 "$work/build.log" >&2; fail "building ccbench-scenario against $work/tracker"; }
}

# Run cold_init once; the result object goes to fd 3, captured in $work/result.json.
run_cold_init() {
    local rc=0
    "$work/build/bin/ccbench-scenario" cold_init --result-fd 3 3>"$work/result.json" || rc=$?
    [ "$rc" -eq 0 ] || fail "ccbench-scenario cold_init exited $rc"
    cat "$work/result.json"
    echo
}

"$cmake_bin" -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
    -DCCBENCH_BUILD_HARNESS=OFF -DBUILD_TESTING=OFF -DCCBENCH_TRACKER_DIR="$work/tracker" \
    >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; fail "configure"; }
# The build really used the copy, not the repo's tracker.
grep -q "^CCBENCH_TRACKER_DIR:PATH=$work/tracker\$" "$work/build/CMakeCache.txt" ||
    fail "CCBENCH_TRACKER_DIR is not the copy"
build

echo "== intact copy"
run_cold_init
grep -q '"schema":"ccbench-sample/1"' "$work/result.json" || fail "no sample schema"
grep -q '"ok":true' "$work/result.json" || fail "intact tracker: sample not ok"

# Break the copy: emissions come out negative (-1e-9 kg - the right value). If the line
# moved or changed, say so loudly rather than testing nothing.
target="$work/tracker/src/tracker.c"
pattern='out->emissions_kg = out->energy_kwh \* intensity / 1000\.0;'
grep -q "$pattern" "$target" ||
    fail "pattern '$pattern' not found in tracker/src/tracker.c: update this test to the new code"
sed -i "s|$pattern|out->emissions_kg = -1e-9 - out->energy_kwh * intensity / 1000.0;|" "$target"
grep -q 'out->emissions_kg = -1e-9 - out->energy_kwh' "$target" || fail "the sed did not apply"
build

echo "== broken copy"
run_cold_init
grep -q '"ok":false' "$work/result.json" || fail "broken tracker: sample still ok"
grep -q '"reason":"wrong_answer"' "$work/result.json" || fail "broken tracker: reason is not wrong_answer"
grep -q 'emissions_kg' "$work/result.json" || fail "broken tracker: detail does not name emissions_kg"
echo "PASS"
