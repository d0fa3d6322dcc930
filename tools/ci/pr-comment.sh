#!/usr/bin/env bash
# Usage: tools/ci/pr-comment.sh REPORTS_DIR "STACK [STACK ...]"
# Posts one pull-request comment for the previews of these stacks (npm run preview-comment: a table of outcomes and
# changes, then each stack's output), or edits the one it posted before, found by its first line, so a pull request
# holds one preview comment however often it is pushed. REPORTS_DIR holds what tools/ci/each.sh kept for each
# stack, gathered from every preview job; a stack with nothing there is listed as without output.
# Environment: GH_TOKEN (the job's GITHUB_TOKEN, pull-requests: write), GITHUB_REPOSITORY, PR_NUMBER. Runs `gh` from
# PATH. The reports are the previews' display, in which the CLI shows every secret value as [secret]; outputs are
# suppressed (tools/ci/preview.sh).
# With no stack (a push took every stack file out of the pull request), it edits the comment it posted before to say
# so, since its previews no longer show what the merge would do, and posts none where there was none.
set -euo pipefail
fail() {
  printf 'tools/ci/pr-comment.sh: %s\n' "$*" >&2
  exit 2
}
[ "$#" -eq 2 ] || fail "usage: tools/ci/pr-comment.sh REPORTS_DIR \"[STACK ...]\""
reports=$1
stacks=$2
for name in GH_TOKEN GITHUB_REPOSITORY PR_NUMBER; do
  [ -n "${!name:-}" ] || fail "$name is not set"
done
[[ $PR_NUMBER =~ ^[0-9]+$ ]] || fail "PR_NUMBER is \"$PR_NUMBER\"; expected a pull request number"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
body=$(mktemp)
trap 'rm -f "$body"' EXIT
npm run --silent preview-comment -- --reports "$reports" --stacks "$stacks" >"$body"
marker=$(head -n 1 "$body")
comments="repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
existing=$(gh api --paginate "$comments" --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)
if [ -z "${stacks//[[:space:]]/}" ] && [ -z "$existing" ]; then
  echo "tools/ci/pr-comment.sh: no stack changed, and no preview comment to update"
elif [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" >/dev/null
  echo "tools/ci/pr-comment.sh: updated the preview comment"
else
  gh api --method POST "$comments" -F "body=@$body" >/dev/null
  echo "tools/ci/pr-comment.sh: posted the preview comment"
fi
