#!/usr/bin/env bash
# Usage: tools/ci/pr-comment.sh STACK REPORT_FILE
# Posts tools/ci/preview.sh's output for STACK as a pull-request comment, or edits the comment it posted before
# (found by a marker line), so a pull request holds one comment per stack however often it is pushed.
# Environment: GH_TOKEN (the job's GITHUB_TOKEN, pull-requests: write), GITHUB_REPOSITORY, PR_NUMBER,
# PREVIEW_OUTCOME (the preview step's outcome: success, failure, cancelled). Runs `gh` from PATH.
# The report is the preview's display, in which the CLI shows every secret value as [secret]; outputs are
# suppressed (tools/ci/preview.sh).
set -euo pipefail

fail() {
  printf 'tools/ci/pr-comment.sh: %s\n' "$*" >&2
  exit 2
}
[ "$#" -eq 2 ] || fail "usage: tools/ci/pr-comment.sh STACK REPORT_FILE"
stack=$1
report=$2
[[ $stack =~ ^[A-Za-z0-9._-]+$ ]] || fail "STACK is \"$stack\"; expected a stack name (letters, digits, . _ -)"
for name in GH_TOKEN GITHUB_REPOSITORY PR_NUMBER; do
  [ -n "${!name:-}" ] || fail "$name is not set"
done
[[ $PR_NUMBER =~ ^[0-9]+$ ]] || fail "PR_NUMBER is \"$PR_NUMBER\"; expected a pull request number"
if [ ! -s "$report" ]; then
  echo "tools/ci/pr-comment.sh: no preview output for stack $stack (the preview did not run); no comment"
  exit 0
fi

marker="<!-- app-identity preview: $stack -->"
body=$(mktemp)
trap 'rm -f "$body"' EXIT
# A comment holds at most 65,536 characters: keep the end of a long preview, where the summary and errors are.
limit=60000
{
  # shellcheck disable=SC2016 # the backticks are Markdown
  printf '%s\n### `pulumi preview` of stack `%s`: %s\n\n' "$marker" "$stack" "${PREVIEW_OUTCOME:-unknown}"
  if [ "$(wc -c <"$report")" -gt "$limit" ]; then
    printf '(the first part of the output is cut; the whole of it is in the job log)\n\n'
  fi
  # A fence of four backticks, which a line of the preview is unlikely to close.
  printf '````\n'
  tail -c "$limit" "$report"
  printf '\n````\n'
} >"$body"

comments="repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
existing=$(gh api --paginate "$comments" --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" >/dev/null
  echo "tools/ci/pr-comment.sh: updated the preview comment of stack $stack"
else
  gh api --method POST "$comments" -F "body=@$body" >/dev/null
  echo "tools/ci/pr-comment.sh: posted the preview comment of stack $stack"
fi
