#!/usr/bin/env bash
# Everything the project runs, on a fresh Debian machine (root, or sudo): the Debian packages the tests run
# (tools/setup/readers.sh), the npm packages of package-lock.json, the Python packages the app pins in .venv
# (tools/setup/python.sh), the policy pack compiled (tools/policyPack), the Pulumi CLI at the SDK's version
# (tools/pulumi/install.sh) and the Azure CLI (tools/setup/azure-cli.sh). Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n== %s\n' "$*"; }
step "Debian packages (tools/setup/readers.sh)"
bash tools/setup/readers.sh
step "npm packages (npm ci)"
npm ci --no-audit --no-fund
step "Python packages, pinned, in .venv (tools/setup/python.sh)"
bash tools/setup/python.sh
step "the guardrail policy pack, compiled to JavaScript in .tools/policy-pack (npm run policy-pack)"
npm run --silent policy-pack
step "the Pulumi CLI at the SDK's version (tools/pulumi/install.sh)"
bash tools/pulumi/install.sh
step "the Azure CLI, pinned, in a cached venv of its own (tools/setup/azure-cli.sh)"
bash tools/setup/azure-cli.sh
