#!/usr/bin/env bash
# Installs, from Debian's packages, the system programs the tests run for real: systemd's env-file parser, Python
# with its venv module (tools/setup/python.sh then installs the pinned Python packages: the Azure SDK,
# python-dotenv, gunicorn), openssl, which makes the stand-in's test CA, shellcheck for tools/ci, and libfaketime,
# which moves the example app's clock in test/e2eFederated.test.ts. The tests fail, never skip, when one is missing.
set -euo pipefail
packages=(systemd python3 python3-venv openssl shellcheck libfaketime)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "installed: ${packages[*]}"
