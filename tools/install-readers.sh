#!/usr/bin/env bash
# Installs, from Debian's packages, the real programs the tests run: systemd's env-file parser, python-dotenv and
# the Azure SDK for Python (python3-azure) read the env files; gunicorn serves the example app; openssl makes the
# stand-in's test CA. The tests fail, never skip, when one is missing.
set -euo pipefail
packages=(systemd python3 python3-azure python3-dotenv gunicorn openssl)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "installed: ${packages[*]}"
