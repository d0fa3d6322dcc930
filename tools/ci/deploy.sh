#!/usr/bin/env bash
# Usage: tools/ci/deploy.sh STACK
# Applies STACK: the tenant's credential policy check, then `pulumi up` under the guardrail policy pack.
# Environment as for tools/ci/preview.sh.
# The stack's outputs hold the client secret: they are suppressed here and never read by CI (pulumi/actions v6
# would read them with --show-secrets and set each as a step output after its command: src/main.ts,
# stack.outputs() and core.setOutput; the workflows use that action only to install the CLI).
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init deploy "$@"

# The tenant's app management policy would refuse the stack's credentials only after the app exists
# (CredentialInvalidLifetimeAsPerAppPolicy on addPassword): stop before anything is created (npm run credential-policy).
npm run --silent credential-policy -- --stack "$STACK"
pulumi up --stack "$STACK" --yes --non-interactive --suppress-outputs --suppress-permalink --suppress-progress \
  "${POLICY_ARGS[@]}"
