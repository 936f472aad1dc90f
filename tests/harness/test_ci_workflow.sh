#!/usr/bin/env bash
# The example CI workflow keeps its history (issue 16): a line-based check of
# scripts/ci/github-actions.yml, no YAML library needed. Each job is the block of lines from
# "  NAME:" under jobs: to the next job. Checked: the notes ref fetched in every job with the
# whole history; a pull request compared from its merge base, a push from the previous main
# (github.event.before), never HEAD with itself; only the notes job may write, and it saves
# and pushes the note; markdown to the step summary; a time limit on every job.
# Usage: test_ci_workflow.sh <source dir>
set -euo pipefail
src=$(cd "${1:?usage: test_ci_workflow.sh <source dir>}" && pwd)
wf="$src/scripts/ci/github-actions.yml"
fail() { echo "test_ci_workflow: FAIL: $*" >&2; exit 1; }
[ -r "$wf" ] || fail "$wf missing"

jobs=$(awk '/^jobs:/ {in_jobs = 1; next} in_jobs && /^  [A-Za-z0-9_-]+:$/ {sub(/:$/, ""); sub(/^  /, ""); print}' "$wf")
[ -n "$jobs" ] || fail "no jobs found under jobs:"
job() { awk -v name="  $1:" '/^jobs:/ {in_jobs = 1} in_jobs && /^  [A-Za-z0-9_-]+:$/ {on = ($0 == name)} on' "$wf"; }
has() { grep -qF -- "$2" <<<"$1"; }
count() { grep -cF -- "$2" <<<"$1" || true; }

for j in $jobs; do
  block=$(job "$j")
  has "$block" 'git fetch origin "+refs/notes/ccbench:refs/notes/ccbench"' ||
    fail "job $j does not fetch refs/notes/ccbench"
  has "$block" "fetch-depth: 0" || fail "job $j does not fetch the whole history"
  grep -qE '^    timeout-minutes: [0-9]+$' <<<"$block" || fail "job $j has no timeout-minutes"
done

gate=$(job gate)
[ -n "$gate" ] || fail "no gate job"
has "$gate" 'git merge-base "origin/$BASE_REF" HEAD' || fail "a pull request is not compared from its merge base"
has "$gate" 'BEFORE: ${{ github.event.before }}' || fail "a push is not compared with the previous main"
has "$gate" 'base=$BEFORE' || fail "the previous main is not the base of a push"
has "$gate" './scripts/ci-gate "${{ steps.base.outputs.base }}" HEAD' || fail "the gate does not use the chosen base"
grep -qE 'ci-gate +"?HEAD"? +HEAD' "$wf" && fail "the gate compares HEAD with itself"
has "$gate" "contents: write" && fail "the gate job may write"
grep -q 'GITHUB_STEP_SUMMARY' "$src/scripts/ci-gate" || fail "ci-gate does not write the step summary"

notes=$(job notes)
[ -n "$notes" ] || fail "no notes job"
has "$notes" "if: github.event_name == 'push' && github.ref == 'refs/heads/main'" ||
  fail "the notes job does not run on pushes to main only"
has "$notes" "contents: write" || fail "the notes job cannot push"
has "$notes" "--save-note" || fail "the notes job saves no note"
has "$notes" "git push origin refs/notes/ccbench" || fail "the notes job does not push the notes ref"
has "$notes" 'GITHUB_STEP_SUMMARY' || fail "the notes job posts nothing to the step summary"
[ "$(count "$(cat "$wf")" "contents: write")" -eq 1 ] || fail "contents: write outside the notes job"
grep -qE '^permissions:$' "$wf" && grep -qE '^  contents: read$' "$wf" ||
  fail "the workflow's default permission is not read-only"
echo "test_ci_workflow: ok ($(wc -w <<<"$jobs") jobs)"
