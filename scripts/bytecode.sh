#!/usr/bin/env bash
# bytecode.sh DIR: compile DIR's Python to python3.13 bytecode for Lambda (called by the layer and function builds).
#
# Lambda mounts /opt (layers) and /var/task (the function) read-only, so Python cannot cache bytecode there: without
# .pyc files in the artifact, every cold start compiles every module it imports again. The bytecode is compiled with
# `--invalidation-mode unchecked-hash`, so the timestamps `sam build` and the zip give the files do not matter.
#
# The interpreter must be CPython 3.13 (the functions' runtime). Tried in order:
#   1. $OPSBOT_BYTECODE_PYTHON, or python3.13 on PATH;
#   2. a python3.13 container: the official SAM build image public.ecr.aws/sam/build-python3.13, else the Lambda
#      emulation image public.ecr.aws/lambda/python:3.13-x86_64 (`make e2e` / scripts/e2e/prepare.sh builds it
#      offline); only images already present are used, nothing is pulled.
# When none is available the build still succeeds and says plainly that it ships no bytecode.
# OPSBOT_BYTECODE=0 skips the step (e.g. to measure a build without bytecode).
set -euo pipefail

dir=$(cd "${1:?usage: bytecode.sh DIR}" && pwd)
IMAGES=(public.ecr.aws/sam/build-python3.13:latest public.ecr.aws/lambda/python:3.13-x86_64)
COMPILE=(-m compileall -q -j 0 --invalidation-mode unchecked-hash "$dir")

say() { printf 'bytecode: %s\n' "$*"; }  # stdout: sam build shows make's stdout

count_pyc() { find "$dir" -name '*.cpython-313.pyc' | wc -l; }

if [ "${OPSBOT_BYTECODE:-1}" = 0 ]; then
    say "OPSBOT_BYTECODE=0: $dir ships NO bytecode"
    exit 0
fi

compiled_by=""
python=${OPSBOT_BYTECODE_PYTHON:-$(command -v python3.13 || true)}
if [ -n "$python" ] && [ "$("$python" -c 'import sys; print(sys.implementation.cache_tag)' 2>/dev/null)" = cpython-313 ]; then
    "$python" "${COMPILE[@]}"
    compiled_by=$python
elif docker info >/dev/null 2>&1; then
    for image in "${IMAGES[@]}"; do
        docker image inspect "$image" >/dev/null 2>&1 || continue
        # The artifact is mounted at its own path, so compile-time paths match the files; no network, our uid.
        docker run --rm --network none --user "$(id -u):$(id -g)" -v "$dir:$dir" \
            --entrypoint /var/lang/bin/python3.13 "$image" "${COMPILE[@]}" </dev/null
        compiled_by=$image
        break
    done
fi

if [ -z "$compiled_by" ]; then
    say "no python3.13 found (not on PATH, no docker image ${IMAGES[*]}): $dir ships NO bytecode, so every cold"
    say "start compiles it; run scripts/e2e/prepare.sh (make e2e does) to build the python3.13 image, then \`sam build --no-cached\`"
    exit 0
fi
say "$(count_pyc) modules compiled to python3.13 bytecode with $compiled_by"
