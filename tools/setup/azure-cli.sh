#!/usr/bin/env bash
# Puts Microsoft's Azure CLI (azure-cli from PyPI, at exactly the pins of tools/setup/azure-cli-requirements.txt) in
# a virtual environment of its own under ~/.cache/app-identity/azure-cli-<version>/venv, and links .tools/bin/az to
# it. It is large (a cold install takes about 4.5 minutes), so it is installed once per version, like the Pulumi
# CLI (tools/pulumi/install.sh); a second run with the same pins and a working `az` does nothing.
# PYTHON=/path/to/python3 chooses the interpreter (3.10 or later: azure-cli's python_requires); python3 otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
requirements="$root/tools/setup/azure-cli-requirements.txt"
version="$(sed -n 's/^azure-cli==//p' "$requirements")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/app-identity/azure-cli-$version"
venv="$cache/venv"
python="${PYTHON:-python3}"
bin="$root/.tools/bin"
mkdir -p "$bin"

pinned() { grep -v '^#' "$requirements" | sort -f; }
frozen() { "$venv/bin/pip" freeze --disable-pip-version-check 2>/dev/null | grep -v '^-e' | sort -f; }

if [ -x "$venv/bin/az" ] && [ "$(frozen)" = "$(pinned)" ]; then
    echo "install-azure-cli: $venv holds azure-cli $version as pinned"
else
    command -v "$python" >/dev/null || { echo "install-azure-cli: $python not found: install Python 3.10 or later, or set PYTHON" >&2; exit 1; }
    rm -rf "$venv"
    mkdir -p "$cache"
    "$python" -m venv "$venv" || { echo "install-azure-cli: '$python -m venv' failed: on Debian, apt-get install python3-venv" >&2; exit 1; }
    echo "install-azure-cli: installing azure-cli $version into $venv (a few minutes, once per version)"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    "$venv/bin/pip" install --quiet --no-deps --requirement "$requirements"
    if ! problems="$("$venv/bin/pip" check)"; then echo "install-azure-cli: $problems" >&2; exit 1; fi
fi
ln -sf "$venv/bin/az" "$bin/az"
# `az version` reads no configuration and makes no request; AZURE_CONFIG_DIR keeps it off ~/.azure.
AZURE_CONFIG_DIR="$(mktemp -d)" "$bin/az" version --output tsv --query '"azure-cli"' | grep -qx "$version" ||
    { echo "install-azure-cli: $bin/az is not azure-cli $version" >&2; exit 1; }
echo "install-azure-cli: azure-cli $version: $bin/az"
