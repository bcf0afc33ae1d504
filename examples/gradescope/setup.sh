#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
# It installs Python if the image lacks it, then adgrader.
set -euo pipefail

# ---- Course setting: where adgrader is installed from, as pip understands it.
# Left empty, it is the one adgrader-*.whl bundled in the zip beside this script
# (README.md says how to make it). Or a pinned git URL of the course's copy:
#   ADGRADER_SOURCE="git+https://github.com/<course>/adgrader@v0.1.0"
ADGRADER_SOURCE="${ADGRADER_SOURCE:-}"
# ----

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "adgrader needs Python 3.10 or newer, and this image has $(python3 -V)." >&2
    echo "Choose an Ubuntu 22.04 or later base image for the autograder." >&2
    exit 1
fi

if [ -z "$ADGRADER_SOURCE" ]; then
    shopt -s nullglob
    wheels=("$here"/adgrader-*.whl)
    shopt -u nullglob
    if [ "${#wheels[@]}" -ne 1 ]; then
        echo "Found ${#wheels[@]} adgrader-*.whl files beside setup.sh: bundle exactly" >&2
        echo "one in the zip, or set ADGRADER_SOURCE at the top of setup.sh." >&2
        exit 1
    fi
    ADGRADER_SOURCE="${wheels[0]}"
fi
if [[ "$ADGRADER_SOURCE" == git+* ]] && ! command -v git >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends git
fi

# Newer Ubuntu images mark the system Python as externally managed; this image
# exists only to grade, so installing into it is what we want.
export PIP_BREAK_SYSTEM_PACKAGES=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
echo "Installing adgrader from $ADGRADER_SOURCE"
python3 -m pip install "$ADGRADER_SOURCE"
adgrader --version
