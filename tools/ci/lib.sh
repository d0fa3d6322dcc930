# shellcheck shell=bash
# Shared by the CI scripts (sourced, never run): the project root, the stack argument, and what the Pulumi CLI
# needs from the environment. Everything comes from arguments and environment variables, so a test suite can run
# exactly what GitHub runs against a local Azure. Nothing here prints a variable's value: a backend URL can hold
# credentials, and the passphrase is one.

CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# ci_fail MESSAGE: one line on stderr, naming the script; exit 2 (a usage or setup mistake).
ci_fail() {
  printf '%s: %s\n' "$CI_SCRIPT" "$*" >&2
  exit 2
}

# ci_init NAME ARGS...: checks the one STACK argument and the environment, sets STACK, and moves to the project.
ci_init() {
  CI_SCRIPT="tools/ci/$1.sh"
  # The CLI reads it as --yes, and refuses --yes with `refresh --preview-only` (pulumi/pulumi v3.276.0
  # pkg/cmd/pulumi/operations/refresh.go, io.go): maintenance would take that refusal for drift and never rotate.
  unset PULUMI_SKIP_CONFIRMATIONS
  shift
  cd "$CI_ROOT" || exit 2
  local known
  known=$(cd stacks && for file in Pulumi.*.yaml; do file=${file#Pulumi.}; printf '%s ' "${file%.yaml}"; done)
  known=${known% }
  [ "$#" -eq 1 ] || ci_fail "usage: $CI_SCRIPT STACK (one of: ${known// /, })"
  STACK=$1
  if [[ ! $STACK =~ ^[A-Za-z0-9._-]+$ ]] || [ ! -f "stacks/Pulumi.$STACK.yaml" ]; then
    ci_fail "STACK is \"$STACK\"; expected a stack with a file in stacks/: one of ${known// /, }"
  fi
  STACK_FILE="stacks/Pulumi.$STACK.yaml"
  # Without it the CLI would fall back to Pulumi Cloud or to whatever `pulumi login` left on this machine.
  [ -n "${PULUMI_BACKEND_URL:-}" ] ||
    ci_fail "PULUMI_BACKEND_URL is not set; expected the state backend, such as azblob://state?storage_account=NAME or file://DIR"
  # A stack without a cloud secrets provider (azurekeyvault://...) encrypts with a passphrase.
  if ! grep -Eq '^secretsprovider: *[a-z]+://' "$STACK_FILE" &&
    [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE+set}" ]; then
    ci_fail "$STACK_FILE has no secretsprovider (a passphrase stack); set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE"
  fi
  command -v pulumi >/dev/null || ci_fail "no pulumi on PATH; install the Pulumi CLI (the workflows' setup action does)"
  [ -x "$POLICY_ANALYZER" ] ||
    ci_fail "no compiled policy pack in .tools/policy-pack; run npm run policy-pack (the workflows' setup action does)"
  export PULUMI_SKIP_UPDATE_CHECK=true
}

# The guardrail policy pack, for every command that runs the program: policy/ compiled to JavaScript by
# `npm run policy-pack` (the workflows' setup action runs it; README "The policy pack"), started as a binary
# analyzer, the executable that the CLI launches as the plugin (tools/policyPack/build.ts POLICY_ANALYZER).
# Its path is absolute: the engine runs a binary analyzer from the program's directory (infra/), where a relative
# path would be looked for (pulumi/pulumi pkg/v3 v3.276.0 engine/update.go, resource/plugin/analyzer_plugin.go).
POLICY_ANALYZER="$CI_ROOT/.tools/policy-pack/analyzer"
# shellcheck disable=SC2034 # used by the scripts that source this file
POLICY_ARGS=(--policy-pack "$POLICY_ANALYZER" --policy-pack-config policy/config.json)
