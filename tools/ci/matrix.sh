#!/usr/bin/env bash
# Usage: tools/ci/matrix.sh [BASE [SELECTION...]]
# The GitHub Actions matrices of the stacks a change since BASE touches (npm run fleet -- matrix --changed-since
# BASE), or of every stack without BASE, as the job output `matrix` (written to $GITHUB_OUTPUT): `all` for previews
# and maintenance, `nonprod` and `prod` for deploys, each {matrix: {include}, jobs, stacks, maxParallel}
# (tools/fleet/matrix.ts). SELECTION is more of npm run fleet's flags, such as --environment dev.
# A BASE of zeros (GitHub's `before` on a branch's first push) or one not in the clone (after a force push) selects
# every stack: an unchanged stack's deploy changes nothing. The clone needs the history (checkout's fetch-depth: 0).
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CI_SCRIPT=tools/ci/matrix.sh
cd "$CI_ROOT"
[ -n "${GITHUB_OUTPUT:-}" ] || ci_fail "GITHUB_OUTPUT is not set; expected the file GitHub Actions reads a step's outputs from"
base=${1:-}
[ "$#" -eq 0 ] || shift
changed=()
if [ -z "$base" ]; then
  echo "$CI_SCRIPT: every stack"
elif [[ $base =~ ^0+$ ]]; then
  echo "$CI_SCRIPT: no commit before this push; every stack"
elif ! git rev-parse --quiet --verify "$base^{commit}" >/dev/null; then
  echo "$CI_SCRIPT: $base is not in this clone (a force push?); every stack"
else
  echo "$CI_SCRIPT: the stacks changed since $base"
  changed=(--changed-since "$base")
fi
matrix=$(npm run --silent fleet -- matrix --root "$CI_ROOT" "${changed[@]}" "$@")
printf 'matrix=%s\n' "$matrix" >>"$GITHUB_OUTPUT"
# Stack names and counts only: the matrices hold nothing else.
# shellcheck disable=SC2016 # JavaScript's template literals, not the shell's
node -e '
  const m = JSON.parse(process.argv[1]);
  const part = (key) => `${key} ${m[key].stacks} in ${m[key].jobs} jobs (${m[key].maxParallel} at once)`;
  console.log(`${m.all.stacks} stacks: ${part("nonprod")}, ${part("prod")}`);
  for (const job of m.all.matrix.include) console.log(`  ${job.environment.padEnd(7)}  ${job.name}`);
' "$matrix"
