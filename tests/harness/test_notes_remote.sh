#!/usr/bin/env bash
# Notes travel through a remote (issue 16): clone A measures and pushes refs/notes/ccbench to
# a bare repository; clone B fetches it and `history --notes` reads A's result; B adds an
# entry of another profile to the same commit's note (entries accumulate, none replaced) and
# pushes; A fetches and sees both entries. The git CLI plays the user; ccbench itself only
# uses libgit2.
# Usage: test_notes_remote.sh <ccbench binary>
set -euo pipefail
bin=$(cd "$(dirname "${1:?usage: test_notes_remote.sh <ccbench binary>}")" && pwd)/$(basename "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/ccb-test-notes-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "test_notes_remote: FAIL: $*" >&2; exit 1; }
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
export CCBENCH_RESULTS_DIR="$work/results"
cheap=(--scenario spawn_floor --samples 2 --no-counts --quiet)

git init -q --bare "$work/remote.git"
git init -q -b main "$work/a"
(cd "$work/a" && echo one >file && git add file && git commit -qm one &&
  git remote add origin "$work/remote.git" && git push -q origin main)
(cd "$work/a" && "$bin" run --profile quick --save-note "${cheap[@]}" >/dev/null) ||
  fail "run --save-note in clone A"
(cd "$work/a" && git push -q origin refs/notes/ccbench) || fail "pushing the notes from A"

git clone -q -b main "$work/remote.git" "$work/b"
cd "$work/b"
git fetch -q origin "+refs/notes/ccbench:refs/notes/ccbench" || fail "fetching the notes into B"
"$bin" history --notes HEAD --metric spawn_floor.process_ms --format json >"$work/h1.json" ||
  fail "history --notes in B"
grep -qE '"schema":[[:space:]]*"ccbench-history/1"' "$work/h1.json" || fail "no history document: $(cat "$work/h1.json")"
grep -q "$(git rev-parse --short=12 HEAD)" "$work/h1.json" || fail "B's history lacks A's commit"

# Another profile on the same commit: a second entry, pushed back.
"$bin" run --profile default --save-note "${cheap[@]}" >/dev/null || fail "run --save-note in B"
git push -q origin refs/notes/ccbench || fail "pushing the notes from B"
cd "$work/a"
git fetch -q origin "+refs/notes/ccbench:refs/notes/ccbench" || fail "fetching the notes into A"
# An entry's "machine" is its fingerprint string; the result inside has a machine object.
entries=$(git notes --ref ccbench show HEAD | grep -cE '"machine":[[:space:]]*"' || true)
[ "$entries" -eq 2 ] || fail "A sees $entries note entries, expected 2 (quick and default)"
"$bin" history --notes HEAD --metric spawn_floor.process_ms >/dev/null 2>"$work/err" ||
  fail "history --notes in A: $(cat "$work/err")"
echo "test_notes_remote: ok"
