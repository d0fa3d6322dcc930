#!/usr/bin/env bash
# Usage: tools/ci/each.sh deploy|preview|maintenance "STACK [STACK ...]"
# Runs tools/ci/<script>.sh for each stack of one matrix job, one after another: a job has one stack, or a chunk of
# them past GitHub's 256 jobs in a matrix (tools/fleet/matrix.ts). A stack's failure does not stop the next. Exits
# 0 when every stack passed, else with the code of the last that failed. The stacks come as one space-separated
# argument, the matrix's `stacks`, so that no step splits words.
# With PREVIEW_REPORTS=DIR, each stack's output is kept in DIR/<stack>.txt and its outcome (success or failure) in
# DIR/<stack>.outcome, for the one pull-request comment (tools/ci/pr-comment.sh).
# Environment as for the script it runs.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CI_SCRIPT=tools/ci/each.sh
[ "$#" -eq 2 ] || ci_fail "usage: $CI_SCRIPT deploy|preview|maintenance \"STACK [STACK ...]\""
script=$1
case $script in
  deploy | preview | maintenance) ;;
  *) ci_fail "the script is \"$script\"; expected deploy, preview or maintenance" ;;
esac
read -ra stacks <<<"$2"
[ "${#stacks[@]}" -gt 0 ] || ci_fail "no stack given; expected the matrix job's stacks, such as \"inventory-api-dev\""
if [ -n "${PREVIEW_REPORTS:-}" ]; then
  [ "$script" = preview ] || ci_fail "PREVIEW_REPORTS is for previews; $script keeps no report"
  mkdir -p "$PREVIEW_REPORTS"
fi

status=0
failed=()
for stack in "${stacks[@]}"; do
  [ "${#stacks[@]}" -eq 1 ] || printf '== %s %s\n' "$script" "$stack"
  code=0
  if [ -n "${PREVIEW_REPORTS:-}" ]; then
    PREVIEW_REPORT="$PREVIEW_REPORTS/$stack.txt" bash "$CI_ROOT/tools/ci/$script.sh" "$stack" || code=$?
    if [ "$code" -eq 0 ]; then outcome=success; else outcome=failure; fi
    printf '%s\n' "$outcome" >"$PREVIEW_REPORTS/$stack.outcome"
  else
    bash "$CI_ROOT/tools/ci/$script.sh" "$stack" || code=$?
  fi
  if [ "$code" -ne 0 ]; then
    status=$code
    failed+=("$stack")
  fi
done
if [ "${#stacks[@]}" -gt 1 ] && [ "${#failed[@]}" -gt 0 ]; then
  echo "$CI_SCRIPT: $script failed for ${#failed[@]} of ${#stacks[@]} stacks: ${failed[*]}" >&2
fi
exit "$status"
