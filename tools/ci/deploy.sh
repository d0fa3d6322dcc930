#!/usr/bin/env bash
# Usage: tools/ci/deploy.sh STACK
# Applies STACK: `pulumi up` under the guardrail policy pack. Environment as for tools/ci/preview.sh.
# The stack's outputs hold the client secret: they are suppressed here and never read by CI (pulumi/actions v6
# would read them with --show-secrets and set each as a step output after its command: src/main.ts,
# stack.outputs() and core.setOutput; the workflows use that action only to install the CLI).
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_init deploy "$@"

pulumi up --stack "$STACK" --yes --non-interactive --suppress-outputs --suppress-permalink --suppress-progress \
  "${POLICY_ARGS[@]}"
