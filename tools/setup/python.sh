#!/usr/bin/env bash
# Makes .venv/ in the checkout with exactly the Python packages pinned in examples/blob-app/requirements-test.txt
# (the app's requirements.txt plus python-dotenv): the tests run the app, the token check and python-dotenv from
# there, never from the system's Python. A second run with the same pins and a working venv does nothing.
# PYTHON=/path/to/python3 chooses the interpreter (3.11 or later); python3 on PATH otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv"
requirements="$root/examples/blob-app/requirements-test.txt"
python="${PYTHON:-python3}"
stamp="$venv/.pinned"

if ! command -v "$python" >/dev/null; then
    echo "install-python: $python not found: install Python 3.11 or later (Debian: apt-get install python3 python3-venv), or set PYTHON" >&2
    exit 1
fi
# The stamp names what the venv was made from: both requirement files' contents and the interpreter.
if ! interpreter="$("$python" -c 'import sys; print(sys.prefix, sys.version.split()[0]); sys.exit(sys.version_info < (3, 11))')"; then
    echo "install-python: $python is Python ${interpreter#* }; the pinned packages need 3.11 or later (set PYTHON)" >&2
    exit 1
fi
want="$(cat "$root/examples/blob-app/requirements.txt" "$requirements" | sha256sum | cut -d' ' -f1) $interpreter"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c '' 2>/dev/null; then
    echo "install-python: $venv is up to date with examples/blob-app/requirements-test.txt"
    exit 0
fi

# Start afresh, so that no package from older pins stays behind.
rm -rf "$venv"
if ! "$python" -m venv "$venv"; then
    echo "install-python: '$python -m venv' failed: on Debian, apt-get install python3-venv" >&2
    exit 1
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# --no-deps: every package is pinned in the files, so pip resolves nothing; pip check then proves none is missing.
"$venv/bin/pip" install --quiet --no-deps --requirement "$requirements"
if ! problems="$("$venv/bin/pip" check)"; then echo "install-python: $problems" >&2; exit 1; fi
echo "$want" > "$stamp"
echo "install-python: $venv ($("$venv/bin/python" --version)) holds: $("$venv/bin/pip" freeze | tr '\n' ' ')"
