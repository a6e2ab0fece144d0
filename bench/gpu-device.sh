#!/usr/bin/env bash
# bench/gpu.py on a lent GPU machine, in one call (issue 15).
#
# Prepare on the CPU machine, in the repository root (the device has PyTorch, nvidia-ml-py,
# click, PyYAML, rich and psutil, but not jsonschema; without codecarbon the CPU figure is
# codecarbon's default tier, which the verdict says):
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#     --platform manylinux2014_x86_64 -d .whl \
#     jsonschema jsonschema-specifications referencing rpds-py
# then run `bash bench/gpu-device.sh` there with `.whl` carried (about 4 minutes at the
# default phases; LOAD, IDLE and CPU shorten them for a rerun).
set -euo pipefail
out="${OUT:-.}"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
fi
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv || true
python3 bench/gpu.py --load "${LOAD:-60}" --idle "${IDLE:-20}" --cpu "${CPU:-10}" \
    --json "$out/gpu.json" 2>&1 | tee "$out/gpu.log"
