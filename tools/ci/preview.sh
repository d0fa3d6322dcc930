#!/usr/bin/env bash
# Usage: tools/ci/preview.sh STACK
# What a pull request would change in STACK: `pulumi preview`, refreshed, under the guardrail policy pack.
# Environment: PULUMI_BACKEND_URL; PULUMI_CONFIG_PASSPHRASE (or _FILE) unless the stack uses azurekeyvault://;
# the providers' sign-in (ARM_USE_OIDC, ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID); PREVIEW_REPORT=FILE
# keeps a copy of the output for tools/ci/pr-comment.sh.
#
# A preview takes no lock on the self-managed backends (pulumi/pulumi v3.276.0 pkg/backend/diy/backend.go:
# Preview() goes straight to apply with DryRun, and apply persists nothing in a dry run), so the read-only
# preview identity needs no write access to the state container. It does decrypt the stack's state
# (pkg/backend/diy/state.go getTarget -> stack.Snapshot; pkg/secrets/cloud/manager.go keeper.Decrypt).
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init preview "$@"

# First the tenant's credential policy (npm run credential-policy, as the signed-in identity): a refusal is one line
# per problem, in the log and the comment, and no preview runs. --suppress-outputs: no stack output, even masked,
# reaches the log or the comment; --color never: plain text for the comment.
{
  npm run --silent credential-policy -- --stack "$STACK" &&
    pulumi preview --stack "$STACK" --refresh --non-interactive --suppress-outputs --suppress-permalink \
      --suppress-progress --color never "${POLICY_ARGS[@]}"
} | tee "${PREVIEW_REPORT:-/dev/null}"
