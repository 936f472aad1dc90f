#!/usr/bin/env bash
# Install test: `cmake --install` the build tree into a temp prefix, then build a small C
# program OUTSIDE the repository with nothing but `cc` and the installed cctracker.pc, run
# it against the installed shared library, and check what it prints.
# Usage: test_install.sh <build dir>
set -euo pipefail

build=${1:?usage: test_install.sh <build dir>}
build=$(cd "$build" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cct-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
    echo "test_install: FAIL: $*" >&2
    exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
    { cat "$work/install.log" >&2; fail "cmake --install failed"; }

# Where GNUInstallDirs put the libraries in this build (lib here; lib/<multiarch> for /usr).
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")
[ -n "$libdir" ] || fail "CMAKE_INSTALL_LIBDIR not in $build/CMakeCache.txt"
case $libdir in /*) fail "absolute CMAKE_INSTALL_LIBDIR $libdir: not relocatable" ;; esac
for f in "$libdir/libcctracker.a" "$libdir/libcctracker.so" "$libdir/libcctracker-api.so" \
    "$libdir/pkgconfig/cctracker.pc" include/cctracker.h; do
    [ -e "$prefix/$f" ] || fail "$f was not installed (installed: $(cd "$prefix" && find . -type f))"
done

# The outside program: a whole lifecycle, country FRA, no file.
mkdir "$work/outside"
cat >"$work/outside/prog.c" <<'EOF'
#include <stdio.h>
#include <cctracker.h>

int main(void)
{
    cct_config cfg = CCT_CONFIG_INIT;
    cct_tracker *t = NULL;
    cct_emissions e = CCT_EMISSIONS_INIT;
    int rc;

    cfg.country_iso_code = "FRA";
    cfg.no_save_to_file = 1;
    cfg.project_name = "install-test";
    if ((rc = cct_tracker_new(&t, &cfg)) != 0 || (rc = cct_tracker_start(t)) != 0 ||
        (rc = cct_tracker_stop(t, &e)) != 0) {
        fprintf(stderr, "cctracker: %s: %s\n", cct_strerror(rc), cct_last_error_message());
        cct_tracker_free(t);
        return 1;
    }
    cct_tracker_free(t);
    printf("version=%s\n", cct_version());
    printf("country=%s\n", e.country_iso_code);
    printf("emissions_kg=%.17g\n", e.emissions_kg);
    printf("energy_kwh=%.17g\n", e.energy_kwh);
    printf("intensity=%.17g\n", e.carbon_intensity_g_kwh);
    printf("run_id=%s\n", e.run_id);
    return 0;
}
EOF

flags=$(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --cflags --libs cctracker) ||
    fail "pkg-config cannot find cctracker in $prefix/$libdir/pkgconfig"
echo "pkg-config flags: $flags"
# The flags must point into the prefix we installed to, not wherever the build was configured
# for: a stale /usr/local copy would make this test pass for the wrong reason.
for flag in $flags; do
    case $flag in
    -I* | -L*)
        dir=$(realpath -m "${flag:2}")
        case $dir in "$prefix"/*) ;; *) fail "flag $flag points outside $prefix" ;; esac
        ;;
    esac
done

# A sanitized build tree installs sanitized libraries: the program needs the same runtime.
san=$(sed -n 's/^CCBENCH_SANITIZE:STRING=//p' "$build/CMakeCache.txt")
sanflags=()
[ -z "$san" ] || sanflags=("-fsanitize=$san")

cd "$work/outside"
# shellcheck disable=SC2086 # $flags is a list of words on purpose
cc "${sanflags[@]}" -o prog prog.c $flags || fail "cc prog.c \$(pkg-config ...) failed"

LD_LIBRARY_PATH="$prefix/$libdir" ./prog >out.txt 2>err.txt || {
    cat out.txt err.txt >&2
    fail "prog exited with $?"
}
cat out.txt
# It must have used the installed library, not another libcctracker.so on the system.
resolved=$(LD_LIBRARY_PATH="$prefix/$libdir" ldd ./prog) # no pipe: grep -q + pipefail = SIGPIPE
grep -q "$prefix/$libdir/libcctracker.so" <<<"$resolved" ||
    fail "prog does not resolve libcctracker.so from $prefix/$libdir: $resolved"

grep -qx "version=$(sed -n 's/^#define CCT_VERSION "\(.*\)"/\1/p' "$prefix/include/cctracker.h")" out.txt ||
    fail "wrong version line"
grep -qx 'country=FRA' out.txt || fail "country is not FRA"
grep -qE '^run_id=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' out.txt ||
    fail "run_id is not a UUID v4"
# emissions = energy x FRA's intensity / 1000, all finite and >= 0.
awk -F= '
    $1 == "emissions_kg" { em = $2 } $1 == "energy_kwh" { en = $2 } $1 == "intensity" { ci = $2 }
    END {
        if (em == "" || en == "" || ci == "") exit 1
        if (!(em + 0 >= 0) || !(en + 0 >= 0) || !(ci + 0 > 0)) exit 1
        want = en * ci / 1000
        d = em - want; if (d < 0) d = -d
        if (d > 1e-9 * (want > 0 ? want : 1) + 1e-300) exit 1
    }' out.txt || fail "emissions_kg is not energy_kwh x intensity / 1000"
echo "test_install: OK"
