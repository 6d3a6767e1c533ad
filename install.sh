#!/usr/bin/env bash
# One-command set-up: creates .venv and installs pytracking-ebm with its pinned dependencies.
# Idempotent: when .venv already satisfies the requirements (checked by a stamp holding the
# hash of this file and setup.py), a second run only checks and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.install-stamp"
want=$(cat install.sh setup.py | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && "$VENV/bin/python" -c "import torch, torchvision, pytracking_ebm" 2>/dev/null; then
    echo "install.sh: $VENV is up to date"
    exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
# torch and torchvision are pinned as a pair: other combinations fail to import here.
"${PIP[@]}" "torch==2.14.1" "torchvision==0.29.1"
"${PIP[@]}" "opencv-python-headless<5" jpeg4py tensorboard pandas scipy matplotlib tqdm \
    pycocotools pytest tabulate scikit-image scikit-learn
# the optional toolkit extras, so that CI runs their tests: .[vot] and .[got10k] of setup.py, and
# the vot-toolkit without its opencv-python requirement (it would replace the headless build) and
# with attributee 0.1.9 (0.1.10 does not import on Python 3.11)
"${PIP[@]}" "vot-trax==4.0.2" "got10k==0.1.3" "attributee==0.1.9" bidict cachetools colorama dominate \
    jsonschema lazy-object-proxy numba packaging phx-class-registry Pillow pylatex pyYAML requests six
"${PIP[@]}" --no-deps --no-build-isolation -e . 2>/dev/null || "${PIP[@]}" --no-deps -e .
"${PIP[@]}" --no-deps "vot-toolkit==0.9.0"     # last: later pip calls would warn about its opencv-python
echo "$want" > "$STAMP"
echo "install.sh: done ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
