#!/usr/bin/env bash
# Issue 15: a tracker program ends clean under `valgrind --leak-check=full --error-exitcode=9`
# (the sampler thread left 288 bytes "possibly lost" at exit). Valgrind cannot run the
# sanitized test builds, so this builds the tracker once more, plain, in a temp dir, links
# tests/tracker/valgrind_probe.c against it and runs it offline and with API output.
# Exit 77 (ctest: skipped) with the reason when valgrind is not installed.
# Usage: test_valgrind.sh <source dir>
set -euo pipefail

src=$(cd "${1:?usage: test_valgrind.sh <source dir>}" && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
    echo "test_valgrind: SKIP: valgrind is not installed (apt-get install valgrind)"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cct-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
    echo "test_valgrind: FAIL: $*" >&2
    exit 1
}

cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Debug -DCCBENCH_SANITIZE= \
    -DCCBENCH_BUILD_HARNESS=OFF -DCCBENCH_BUILD_SCENARIOS=OFF -DBUILD_TESTING=OFF \
    >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "configure failed"; }
cmake --build "$work/build" -j2 --target cctracker_static cctracker_api \
    >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "build failed"; }
cc -g -std=gnu11 -I"$src/tracker/include" -o "$work/probe" "$src/tests/tracker/valgrind_probe.c" \
    "$work/build/lib/libcctracker.a" -lpthread -ldl || fail "cannot build the probe"

export CCT_API_MODULE=$work/build/lib/libcctracker-api.so
mkdir "$work/spool"
run() { # name, probe arguments...
    local name=$1
    shift
    if ! valgrind --leak-check=full --error-exitcode=9 \
        --suppressions="$src/tests/tracker/valgrind.supp" "$work/probe" "$@" \
        >"$work/$name.out" 2>"$work/$name.vg"; then
        cat "$work/$name.out" "$work/$name.vg" >&2
        fail "$name: valgrind or the probe failed (exit 9: leaks or errors above)"
    fi
    grep -q '^ok ' "$work/$name.out" || fail "$name: the probe did not finish"
    echo "test_valgrind: $name: $(grep -E 'ERROR SUMMARY' "$work/$name.vg" | sed 's/^==[0-9]*== //')"
}
run offline
# Port 1 on loopback: nothing listens, every upload is refused and ends in the spool.
run api http://127.0.0.1:1 "$work/spool"
ls "$work/spool"/.cctracker-spool-*.jsonl >/dev/null 2>&1 || fail "api: nothing was spooled"
run geo geo http://127.0.0.1:1/geo.json
echo "test_valgrind: OK"
