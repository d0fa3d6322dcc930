#!/usr/bin/env bash
# Usage: tools/ci/maintenance.sh STACK
# The daily job of a stack, in four steps:
#   1. drift: `pulumi refresh --preview-only --expect-no-changes` fails when someone changed the identity outside
#      Pulumi (a secret or role assignment added or removed, an owner changed);
#   2. rotation: `pulumi up`, which replaces a secret on its rotation date and changes nothing on other days;
#      skipped after drift, so that a person looks at the change before Pulumi acts on a state it does not match;
#   3. expiry: `npm run expiry -- --stack STACK`, always, so a secret close to its end is reported even on a day
#      of drift or of a failed update;
#   4. audit: `npm run audit -- --stack STACK`, always: the credentials, owners and role assignments Entra and ARM
#      hold that the state does not declare, which the refresh of step 1 cannot see (it reads only what the state
#      names), and what the state declares that is gone; each with the command that removes or restores it.
#      It removes nothing (no --fix): a person decides.
# Exits with the first failure's code (0 when all four pass). Environment as for tools/ci/preview.sh, plus
# EXPIRY_WARN_DAYS (90) and EXPIRY_FAIL_DAYS (30). With ALERT_REPORTS=DIR, what the run learned is kept for
# `npm run alerts` (tools/alerts/report.ts): DIR/<stack>.json ({stack, drift, update, runUrl}), DIR/<stack>.expiry.json
# and DIR/<stack>.audit.json (the expiry check's and the audit's reports, written by them with --json-file); names,
# dates, IDs and outcomes only.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init maintenance "$@"

status=0
drift=false
update=skipped
if pulumi refresh --stack "$STACK" --preview-only --expect-no-changes --non-interactive --suppress-outputs \
  --suppress-permalink --suppress-progress; then
  if pulumi up --stack "$STACK" --yes --non-interactive --suppress-outputs --suppress-permalink --suppress-progress \
    "${POLICY_ARGS[@]}"; then
    update=succeeded
  else
    status=$?
    update=failed
  fi
else
  status=$?
  drift=true
  echo "$CI_SCRIPT: stack $STACK differs from its state (drift) or could not be refreshed: no rotation run;" \
    "review the refresh above, then run pulumi refresh --stack $STACK and pulumi up --stack $STACK" >&2
fi
# With ALERT_REPORTS, each check also keeps its report as JSON (--json-file): one read of the outputs, Graph and ARM,
# shown to people and kept for npm run alerts.
expiry_json=()
audit_json=()
if [ -n "${ALERT_REPORTS:-}" ]; then
  mkdir -p "$ALERT_REPORTS"
  expiry_json=(--json-file "$ALERT_REPORTS/$STACK.expiry.json")
  audit_json=(--json-file "$ALERT_REPORTS/$STACK.audit.json")
fi
npm run --silent expiry -- --stack "$STACK" --warn-days "${EXPIRY_WARN_DAYS:-90}" --fail-days "${EXPIRY_FAIL_DAYS:-30}" \
  "${expiry_json[@]}" || { code=$?; [ "$status" -ne 0 ] || status=$code; }
npm run --silent audit -- --stack "$STACK" "${audit_json[@]}" || { code=$?; [ "$status" -ne 0 ] || status=$code; }
if [ -n "${ALERT_REPORTS:-}" ]; then
  run_url=""
  if [ -n "${GITHUB_RUN_ID:-}" ]; then
    run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID"
  fi
  printf '{"stack":"%s","drift":%s,"update":"%s"%s}\n' "$STACK" "$drift" "$update" \
    "${run_url:+,\"runUrl\":\"$run_url\"}" >"$ALERT_REPORTS/$STACK.json"
fi
exit "$status"
