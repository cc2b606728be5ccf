#!/usr/bin/env bash
# Prepare the offline docker stack for the e2e tier (`sam build` + `sam local invoke`).
#
# Idempotent; safe on a fresh Debian machine as root with CI=true and no stdin. Steps:
#   1. apt-get install docker.io debootstrap (if missing)
#   2. start dockerd (overlay2) if `docker info` fails
#   3. the Lambda emulation image public.ecr.aws/lambda/python:3.13-x86_64: pulled if possible,
#      otherwise built from a debootstrapped Debian trixie (Python 3.13) + awslambdaric + boto3
#   4. opsbot-e2e-moto-base:latest (the rootfs + moto[server], pinned to the versions in .venv when there is one),
#      then from it opsbot-e2e-moto:latest (devtools/moto_server.py: moto's server on 0.0.0.0:5000 with the ECS
#      extensions in MOTO_EXTENSION below installed; rebuilt whenever those files change) and
#      opsbot-e2e-recorder:latest (devtools/slack_recorder.py on 0.0.0.0:5000)
#   5. the user-defined docker network opsbot-e2e
# See README.md "Offline sam local invoke" for why (no registry access for images, --docker-network host does not work).
#
# Environment:
#   OPSBOT_CACHE          cache dir for the debootstrap rootfs tarball (default ~/.cache/opsbot)
#   OPSBOT_PIP_PYTHON     python whose pip installs the image contents (default: .venv/bin/python, python3)
#   OPSBOT_PULL_TIMEOUT   seconds to try `docker pull` of the official Lambda image (default 20)
#   OPSBOT_DOCKERD_ARGS   arguments for dockerd when it has to be started (default --storage-driver=overlay2)
#   OPSBOT_REBUILD=1      rebuild the images even if present (the official-name Lambda image included)
#   DEBIAN_MIRROR         mirror for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR=${OPSBOT_CACHE:-${HOME:-/root}/.cache/opsbot}
LAMBDA_IMAGE=public.ecr.aws/lambda/python:3.13-x86_64
MOTO_BASE_IMAGE=opsbot-e2e-moto-base:latest
MOTO_IMAGE=opsbot-e2e-moto:latest
# What the moto image adds to the base: moto's server with the project's ECS extension (test support only).
MOTO_EXTENSION=(devtools/moto_ecs.py devtools/moto_ecs_tasks.py devtools/moto_cloudwatch.py devtools/moto_servicequotas.py devtools/moto_rds.py devtools/moto_server.py)
RECORDER_IMAGE=opsbot-e2e-recorder:latest
NETWORK=opsbot-e2e
SUITE=trixie
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS_TAR=$CACHE_DIR/rootfs-$SUITE-minbase-amd64.tar
DOCKERD_LOG=/tmp/opsbot-dockerd.log
PULL_TIMEOUT=${OPSBOT_PULL_TIMEOUT:-20}
REBUILD=${OPSBOT_REBUILD:-0}
read -r -a DOCKERD_ARGS <<<"${OPSBOT_DOCKERD_ARGS:---storage-driver=overlay2}"
PIP_TARGET_FLAGS=(--platform manylinux2014_x86_64 --python-version 3.13 --implementation cp --only-binary=:all:
                  --no-compile --disable-pip-version-check --no-input --no-warn-conflicts -qq)
# Bump when the way the images are built changes; images carry it as a label and are rebuilt on mismatch.
RECIPE=2

export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

WORK=$(mktemp -d /tmp/opsbot-e2e-prepare.XXXXXX)
cleanup() { $SUDO rm -rf "$WORK"; }
trap cleanup EXIT

log() { printf '[prepare] %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs_since() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
# step "description" function [args...]: run a step and print how long it took.
step() {
    local name=$1 start
    shift
    start=$(now_ms)
    "$@"
    log "$(printf '%-16s done in %ss' "$name" "$(secs_since "$start")")"
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

ensure_packages() {
    local missing=()
    { command -v dockerd && command -v docker; } >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    if [ ${#missing[@]} -eq 0 ]; then
        log "packages: present"
        return
    fi
    log "packages: installing ${missing[*]}"
    $SUDO apt-get update -qq </dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

ensure_dockerd() {
    if docker info >/dev/null 2>&1; then
        log "dockerd: running"
        return
    fi
    log "dockerd: starting (log $DOCKERD_LOG)"
    # Fully detached: no inherited stdin/stdout/stderr, so callers capturing our output do not hang.
    $SUDO setsid dockerd "${DOCKERD_ARGS[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 &
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            return
        fi
        sleep 1
    done
    log "dockerd did not become ready in 60s; last lines of $DOCKERD_LOG:"
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    exit 1
}

pip_python() {
    local candidate
    for candidate in "${OPSBOT_PIP_PYTHON:-}" "$REPO_ROOT/.venv/bin/python" python3; do
        if [ -n "$candidate" ] && "$candidate" -m pip --version >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    log "no python with pip found; installing python3-pip" >&2
    $SUDO apt-get install -y -qq --no-install-recommends python3-pip </dev/null >/dev/null
    echo python3
}

# pip install --target DIR PKG...: wheels for Lambda's platform (manylinux x86_64, CPython 3.13), from the host
# (the chroot cannot verify the registry's certificate).
pip_target() {
    local dir=$1
    shift
    "$(pip_python)" -m pip install --target "$dir" "${PIP_TARGET_FLAGS[@]}" "$@" </dev/null
}

ensure_rootfs() {
    if [ -s "$ROOTFS_TAR" ]; then
        log "rootfs: cached $ROOTFS_TAR"
        return
    fi
    log "rootfs: debootstrap $SUITE (about a minute)"
    mkdir -p "$CACHE_DIR"
    local root
    root=$(mktemp -d /tmp/opsbot-rootfs.XXXXXX)
    $SUDO debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$root" "$MIRROR" \
        </dev/null >/tmp/opsbot-debootstrap.log 2>&1 || {
        tail -n 30 /tmp/opsbot-debootstrap.log >&2
        $SUDO rm -rf "$root"
        exit 1
    }
    $SUDO rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
    $SUDO tar --numeric-owner -C "$root" -cf "$ROOTFS_TAR.tmp" .
    mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    $SUDO rm -rf "$root"
}

# Unpack the cached rootfs into a fresh work dir; prints the path.
fresh_root() {
    local root
    root=$(mktemp -d "$WORK/root.XXXXXX")
    $SUDO tar --numeric-owner -C "$root" -xf "$ROOTFS_TAR"
    echo "$root"
}

build_lambda_image() {
    ensure_rootfs
    local root
    root=$(fresh_root)
    # The official image ships boto3 in /var/runtime; the project's dependencies layer ships its own pinned one,
    # which must win, as it does in Lambda (function code, then layers, then the runtime's packages).
    pip_target "$root/var/runtime" awslambdaric boto3
    cat >"$root/var/runtime/bootstrap" <<'EOF'
#!/bin/sh
# Runtime bootstrap started by the runtime interface emulator (SAM CLI mounts /var/rapid/aws-lambda-rie).
export PYTHONPATH="${LAMBDA_TASK_ROOT:-/var/task}:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
exec /var/lang/bin/python3.13 -m awslambdaric "$_HANDLER"
EOF
    cat >"$root/lambda-entrypoint.sh" <<'EOF'
#!/bin/sh
# Same contract as the official image's entrypoint: the handler is the only argument.
if [ $# -ne 1 ]; then
    echo "entrypoint requires the handler name to be the first argument" 1>&2
    exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
    exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
EOF
    chmod 0755 "$root/var/runtime/bootstrap" "$root/lambda-entrypoint.sh"
    mkdir -p "$root/var/lang/bin" "$root/var/lang/lib" "$root/var/task" "$root/opt" "$root/var/rapid"
    ln -sf /usr/bin/python3.13 "$root/var/lang/bin/python3.13"
    ln -sf python3.13 "$root/var/lang/bin/python3"
    ln -sf python3.13 "$root/var/lang/bin/python"
    $SUDO tar --numeric-owner -C "$root" -c . | docker import \
        -c 'ENV LANG=C.UTF-8' \
        -c 'ENV TZ=:/etc/localtime' \
        -c 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
        -c 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
        -c 'ENV LAMBDA_TASK_ROOT=/var/task' \
        -c 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
        -c "LABEL org.opsbot.e2e.recipe=$RECIPE" \
        -c 'WORKDIR /var/task' \
        -c 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
        - "$LAMBDA_IMAGE" >/dev/null
    $SUDO rm -rf "$root"
}

ensure_lambda_image() {
    if [ "$REBUILD" != 1 ] && have_image "$LAMBDA_IMAGE"; then
        log "lambda image: present $LAMBDA_IMAGE"
        return
    fi
    if [ "$REBUILD" != 1 ] && timeout "$PULL_TIMEOUT" docker pull -q "$LAMBDA_IMAGE" </dev/null >/dev/null 2>&1; then
        log "lambda image: pulled $LAMBDA_IMAGE"
        return
    fi
    log "lambda image: not pullable (or OPSBOT_REBUILD=1); building $LAMBDA_IMAGE locally"
    local old
    old=$(docker image inspect -f '{{.Id}}' "$LAMBDA_IMAGE" 2>/dev/null || true)
    build_lambda_image
    if [ -n "$old" ]; then
        # SAM CLI keeps its emulator image built FROM the old base (and skips the check with --skip-pull-image).
        docker rmi "${LAMBDA_IMAGE%-*}-rapid-${LAMBDA_IMAGE##*-}" "$old" >/dev/null 2>&1 || true
    fi
}

# Versions of moto, boto3 and botocore in the project's venv (the ECS extension is tested against them), as
# pip requirements; empty if there is no venv.
moto_requirements() {
    local venv_python=$REPO_ROOT/.venv/bin/python
    [ -x "$venv_python" ] || return 0
    "$venv_python" - <<'EOF' 2>/dev/null || true
from importlib.metadata import PackageNotFoundError, version

try:
    print(" ".join(f"{name}=={version(name)}" for name in ("moto", "boto3", "botocore")))
except PackageNotFoundError:
    pass
EOF
}

ensure_moto_base_image() {
    local requirements key
    requirements=$(moto_requirements)
    key="$RECIPE-$(printf '%s' "$requirements" | sha1sum | cut -c1-12)"
    if [ "$REBUILD" != 1 ] && have_image "$MOTO_BASE_IMAGE" \
        && [ "$(image_label "$MOTO_BASE_IMAGE" org.opsbot.e2e.moto-base)" = "$key" ]; then
        log "moto base image: present $MOTO_BASE_IMAGE (${requirements:-moto unpinned})"
        return
    fi
    log "moto base image: building $MOTO_BASE_IMAGE (${requirements:-moto unpinned})"
    ensure_rootfs
    local root old name
    local -a specs=()
    old=$(docker image inspect -f '{{.Id}}' "$MOTO_BASE_IMAGE" 2>/dev/null || true)
    if [ -n "$requirements" ]; then
        for name in $requirements; do
            case $name in moto==*) specs+=("moto[server]==${name#moto==}") ;; *) specs+=("$name") ;; esac
        done
    else
        specs=('moto[server]')
    fi
    root=$(fresh_root)
    pip_target "$root/opt/moto" "${specs[@]}"
    $SUDO tar --numeric-owner -C "$root" -c . | docker import \
        -c 'ENV LANG=C.UTF-8' \
        -c 'ENV PYTHONPATH=/opt/moto' \
        -c 'ENV PYTHONUNBUFFERED=1' \
        -c "LABEL org.opsbot.e2e.recipe=$RECIPE" \
        -c "LABEL org.opsbot.e2e.moto-base=$key" \
        -c 'EXPOSE 5000' \
        -c 'WORKDIR /' \
        -c 'CMD ["python3", "-m", "moto.server", "--host", "0.0.0.0", "--port", "5000"]' \
        - "$MOTO_BASE_IMAGE" >/dev/null
    $SUDO rm -rf "$root"
    # Drop the previous build if nothing uses it any more (fails harmlessly otherwise).
    if [ -n "$old" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

ensure_moto_image() {
    ensure_moto_base_image
    local key base file
    # Keyed on the base image and the extension's files: a changed extension (or moto) rebuilds the image.
    base=$(docker image inspect -f '{{.Id}}' "$MOTO_BASE_IMAGE")
    key="$RECIPE-$(cd "$REPO_ROOT" && { echo "$base"; sha1sum "${MOTO_EXTENSION[@]}"; } | sha1sum | cut -c1-12)"
    if [ "$REBUILD" != 1 ] && have_image "$MOTO_IMAGE" \
        && [ "$(image_label "$MOTO_IMAGE" org.opsbot.e2e.moto)" = "$key" ]; then
        log "moto image: present $MOTO_IMAGE"
        return
    fi
    log "moto image: building $MOTO_IMAGE (moto server + ECS extension)"
    # The base plus the extension and its launcher, committed with another command (like the recorder).
    local ctr old
    old=$(docker image inspect -f '{{.Id}}' "$MOTO_IMAGE" 2>/dev/null || true)
    ctr=$(docker create "$MOTO_BASE_IMAGE")
    mkdir -p "$WORK/moto/devtools"
    : >"$WORK/moto/devtools/__init__.py"
    for file in "${MOTO_EXTENSION[@]}"; do
        cp "$REPO_ROOT/$file" "$WORK/moto/devtools/"
    done
    docker cp "$WORK/moto" "$ctr:/opt/opsbot" >/dev/null
    docker commit \
        -c 'ENV PYTHONPATH=/opt/opsbot:/opt/moto' \
        -c "LABEL org.opsbot.e2e.moto=$key" \
        -c 'CMD ["python3", "-m", "devtools.moto_server", "--host", "0.0.0.0", "--port", "5000"]' \
        "$ctr" "$MOTO_IMAGE" >/dev/null
    docker rm -f "$ctr" >/dev/null
    if [ -n "$old" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

ensure_recorder_image() {
    local src=$REPO_ROOT/devtools/slack_recorder.py key
    key="$RECIPE-$(sha1sum "$src" | cut -c1-12)"
    if [ "$REBUILD" != 1 ] && have_image "$RECORDER_IMAGE" \
        && [ "$(image_label "$RECORDER_IMAGE" org.opsbot.e2e.recorder)" = "$key" ]; then
        log "recorder image: present $RECORDER_IMAGE"
        return
    fi
    log "recorder image: building $RECORDER_IMAGE"
    # Same rootfs as moto (stdlib only is needed); add the recorder and commit with another command.
    local ctr old
    old=$(docker image inspect -f '{{.Id}}' "$RECORDER_IMAGE" 2>/dev/null || true)
    ctr=$(docker create "$MOTO_BASE_IMAGE")
    mkdir -p "$WORK/recorder/devtools"
    : >"$WORK/recorder/devtools/__init__.py"
    cp "$src" "$WORK/recorder/devtools/slack_recorder.py"
    docker cp "$WORK/recorder" "$ctr:/opt/recorder" >/dev/null
    docker commit \
        -c 'ENV PYTHONPATH=/opt/recorder' \
        -c 'WORKDIR /opt/recorder' \
        -c "LABEL org.opsbot.e2e.recorder=$key" \
        -c 'CMD ["python3", "-m", "devtools.slack_recorder", "--host", "0.0.0.0", "--port", "5000"]' \
        "$ctr" "$RECORDER_IMAGE" >/dev/null
    docker rm -f "$ctr" >/dev/null
    # Drop the previous build if nothing uses it any more (fails harmlessly otherwise).
    if [ -n "$old" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

ensure_network() {
    if docker network inspect "$NETWORK" >/dev/null 2>&1; then
        log "network: present $NETWORK"
        return
    fi
    docker network create "$NETWORK" >/dev/null
    log "network: created $NETWORK"
}

total_start=$(now_ms)
step "packages" ensure_packages
step "dockerd" ensure_dockerd
step "lambda image" ensure_lambda_image
step "moto image" ensure_moto_image
step "recorder image" ensure_recorder_image
step "network" ensure_network
log "$(printf '%-16s done in %ss' "total" "$(secs_since "$total_start")")"
