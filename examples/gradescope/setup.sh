#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
# It installs Python and adgrader: from a wheel bundled next to this script
# (adgrader-*.whl) when there is one, otherwise from the package index.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
fi

# Newer Ubuntu images mark the system Python as externally managed; this image
# exists only to grade, so installing into it is what we want.
export PIP_BREAK_SYSTEM_PACKAGES=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

shopt -s nullglob
wheels=("$here"/adgrader-*.whl)
shopt -u nullglob

if [ "${#wheels[@]}" -gt 0 ]; then
    echo "Installing the bundled wheel ${wheels[-1]##*/}"
    python3 -m pip install "${wheels[-1]}"
else
    echo "Installing adgrader from the package index"
    python3 -m pip install adgrader
fi

# adgrader needs Python 3.10 or newer.
python3 -c 'import sys; assert sys.version_info >= (3, 10), sys.version'
adgrader --version
