#!/usr/bin/env bash
# README as a test (issue 17): every command of README.md's fenced blocks marked runnable runs,
# in order, in a throw-away clone of the sources, with the binaries already built (nothing is
# rebuilt here but what compare itself builds), and exits as the marker says. Also: the usage
# section is `ccbench help`'s synopses (both come from main.c's one table), every untagged block
# carries a marker, the results it wrote have no failed sample, and the clone is still clean
# afterwards (nothing by the book marks it dirty).
#
# Markers, on the line before a ``` fence:
#   <!-- runnable -->                       each command must exit 0
#   <!-- runnable exit=N -->                each command must exit N
#   <!-- runnable interrupt=S exit=N -->    SIGINT after S seconds (a server), then exit N
#   <!-- not runnable: REASON -->           skipped, REASON printed
# In a block, a line starting with "$ " is a command and the others are its output; in a block
# without "$ " every line is a command ('\' continues one, '#' lines are comments).
# To stay within ~2 minutes on 2 cores, `run`, `compare` and `noise` without --profile get
# `--profile quick`, and compare and noise without --blocks get `--blocks 2` (a shim named
# ./build/release/bin/ccbench); every other word runs as written.
# Usage: test_readme.sh SOURCE_DIR BIN_DIR [--static]. --static: only the checks that run
# nothing (usage section, markers; a second, fast ctest). Exit 77 (skipped) without git,
# gnuplot or a git checkout.
set -uo pipefail

src=$(cd "${1:?usage: test_readme.sh SOURCE_DIR BIN_DIR}" && pwd)
bin=$(cd "${2:?usage: test_readme.sh SOURCE_DIR BIN_DIR}" && pwd)
readme=$src/README.md
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# 1. The usage section is the synopsis part of `ccbench help`, byte for byte.
want=$(awk '/<!-- usage:begin -->/{f=1; next} /<!-- usage:end -->/{f=0} f' "$readme" |
    awk '/^```/{n++; next} n==1')
# `ccbench help`: "usage: ...", a blank line, the synopses (README's section), a blank line, ...
got=$("$bin/ccbench" help | awk 'NF == 0 {n++; next} n == 1') || fail "ccbench help failed"
if [ -z "$want" ] || [ "$want" != "$got" ]; then
    fail "README's usage section is not the synopses of \`ccbench help\` (main.c's table):"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") >&2
fi

# 2. The blocks and their commands, as "LINE<TAB>MARKER<TAB>COMMAND" rows (MARKER "-" for an
#    untagged block without one: an error, so no example escapes the test).
rows=$(awk '
    function flush() { if (cmd != "") { print start "\t" marker "\t" cmd; cmd = "" } }
    /^```/ {
        if (!inblock) {
            inblock = 1; tagged = ($0 != "```"); lines = 0; dollar = 0
            marker = (prev ~ /^<!-- (not )?runnable/) ? prev : "-"
            inusage = (prev2 ~ /usage:begin/ || prev ~ /usage:begin/)
            if (!tagged && !inusage && marker == "-") print NR "\t-\t"
            next
        }
        inblock = 0
        if (!tagged && marker ~ /^<!-- runnable/) {
            for (i = 1; i <= lines; i++) if (body[i] ~ /^\$ /) dollar = 1
            for (i = 1; i <= lines; i++) {
                l = body[i]
                if (dollar) { if (l !~ /^\$ /) continue; l = substr(l, 3) }
                if (cmd == "" && (l ~ /^[ \t]*#/ || l ~ /^[ \t]*$/)) continue
                if (cmd == "") start = bodyline[i]
                if (l ~ /\\$/) { cmd = cmd substr(l, 1, length(l) - 1); continue }
                cmd = cmd l; flush()
            }
            flush()
        } else if (!tagged && marker ~ /^<!-- not runnable/) {
            print NR "\t" marker "\t"
        }
        prev = ""; next
    }
    inblock { lines++; body[lines] = $0; bodyline[lines] = NR; next }
    /^[ \t]*$/ { next }
    { prev2 = prev; prev = $0 }
' "$readme")

while IFS=$'\t' read -r line marker cmd; do
    [ -n "$line" ] || continue
    if [ "$marker" = "-" ]; then
        fail "README.md:$line: a \`\`\` block with neither <!-- runnable --> nor <!-- not runnable: why -->"
    elif [[ $marker == "<!-- not runnable"* ]]; then
        echo "README.md:$line: not run: ${marker#<!-- not runnable: }" | sed 's/ -->$//'
    fi
done <<<"$rows"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
if [ "${3-}" = --static ]; then
    echo "ok: usage section and markers"
    exit 0
fi
command -v git >/dev/null || { echo "SKIPPED: git is not installed"; exit 77; }
# scripts/deps installs gnuplot; without it the README's plot examples cannot run as written.
command -v gnuplot >/dev/null ||
    { echo "SKIPPED: gnuplot is not installed (apt-get install gnuplot-nox)"; exit 77; }
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
    { echo "SKIPPED: $src is not a git checkout: no clone to run the README in"; exit 77; }

# 3. A throw-away clone, as a new user has it: its HEAD on `main`, the binaries where the README
#    says (build/release/bin), compare building from the clone's sources.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccb-readme.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/repo
git clone -q "$src" "$repo" || { echo "FAIL: git clone $src" >&2; exit 1; }
git -C "$repo" checkout -q -B main || exit 1
mkdir -p "$repo/build/release/bin"
for f in "$bin"/*; do
    [ "$(basename "$f")" = ccbench ] || ln -s "$f" "$repo/build/release/bin/"
done
cat >"$repo/build/release/bin/ccbench" <<EOF
#!/usr/bin/env bash
# test_readme.sh's shim: the slow commands at the quick profile, 2 blocks (see its header).
has() { local w=\$1; shift; for a; do [[ \$a == "\$w" || \$a == "\$w="* ]] && return 0; done; return 1; }
extra=()
case "\${1-}" in
run) has --profile "\$@" || extra+=(--profile quick) ;;
compare | noise)
    has --profile "\$@" || extra+=(--profile quick)
    has --blocks "\$@" || extra+=(--blocks 2) ;;
esac
exec "$bin/ccbench" "\$@" "\${extra[@]}"
EOF
chmod +x "$repo/build/release/bin/ccbench"

export CCBENCH_SOURCE_DIR=$repo CCBENCH_CACHE_DIR=$tmp/cache NO_COLOR=1
unset CCBENCH_RESULTS_DIR CCBENCH_SCENARIO_DIR
n=0
while IFS=$'\t' read -r line marker cmd; do
    [ -n "$cmd" ] || continue
    expect=0
    interrupt=
    [[ $marker =~ exit=([0-9]+) ]] && expect=${BASH_REMATCH[1]}
    [[ $marker =~ interrupt=([0-9]+) ]] && interrupt=${BASH_REMATCH[1]}
    n=$((n + 1))
    log=$tmp/cmd$n.log
    started=$(date +%s)
    if [ -n "$interrupt" ]; then
        (cd "$repo" && timeout --preserve-status -s INT "$interrupt" bash -c "$cmd") >"$log" 2>&1
    else
        (cd "$repo" && timeout 300 bash -c "$cmd") >"$log" 2>&1
    fi
    status=$?
    echo "README.md:$line: exit $status in $(($(date +%s) - started)) s: $cmd"
    if [ "$status" != "$expect" ]; then
        fail "README.md:$line: exit $status, expected $expect: $cmd"
        tail -n 20 "$log" >&2
    fi
done <<<"$rows"
[ "$n" -gt 0 ] || fail "no runnable command found in README.md"

# 4. The results the README wrote are whole: no failed sample (a count process that could not
#    write its dumps beside a relative --out once failed while every command exited 0).
for f in "$repo"/results/*.json; do
    [ -f "$f" ] || continue
    if grep -Eq '"samples_failed":[[:space:]]*[1-9]' "$f"; then
        fail "${f#"$repo"/} has failed samples:"
        grep -Eo '"(reason|detail)":[[:space:]]*"[^"]{0,200}' "$f" | head -n 4 >&2
    fi
done

# 5. Nothing the README does marks the clone dirty: results and plots are ignored, and the
#    last result written says so.
dirt=$(git -C "$repo" status --porcelain --untracked-files=all)
[ -z "$dirt" ] || fail "the README's commands left the clone dirty:"$'\n'"$dirt"
if [ -f "$repo/results/latest.json" ] && ! grep -Eq '"dirty":[[:space:]]*false' "$repo/results/latest.json"; then
    fail "results/latest.json does not say \"dirty\": false"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "ok: $n README commands"
