#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# Written by `grade init-ci gradescope`: installs Python, torch for the CPU and the grader
# shipped in this bundle (source/grader-src), into a venv whose `grade` goes on PATH.
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/grader-venv

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
# The versions the bundle was built and tested with (constraints.txt pins the grader's own
# dependencies too): the same verdicts as on the instructor's machine.
"$VENV/bin/python" -m pip install @@TORCH@@ --index-url https://download.pytorch.org/whl/cpu
"$VENV/bin/python" -m pip install -c "$SOURCE/constraints.txt" "$SOURCE/grader-src"
ln -sf "$VENV/bin/grade" /usr/local/bin/grade

# Fail the build now, not at the first submission, if the grader cannot start.
grade --version
