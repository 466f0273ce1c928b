#!/usr/bin/env bash
# Builds the Docker image and runs docker-compose.yml under podman against the sandbox Telegram,
# checking what an operator would: every health check turns healthy, `status` in the container
# shows the channels collected, the data is on the host's ./data, a graceful stop exits 0, and a
# new container on the same ./data carries on with nothing lost. Then the same for the `mtproto`
# profile: postgres, `bot --sandbox` and `collector --sandbox`, healthy, the channels collected
# through the job queue, every container stopping with exit status 0. `make test-deploy` runs it.
#
# No image registry is reachable from CI, so the base image is built here from Debian packages
# (debootstrap) and passed to the Dockerfile as BASE_IMAGE. Everything it keeps lives under
# $CACHE (default /var/cache/channelpulse-ci): the base root file system, podman's storage and the
# podman-compose it uses, so a second run skips the slow steps and `rm -rf $CACHE` starts clean.
# The postgres image is rebuilt only when its Dockerfile, its entrypoint or the base change.
#
# Settings this machine needs, found by trial (a Firecracker VM, cgroup v1 + v2 "hybrid", no
# systemd), written to $CACHE/containers.conf and storage.conf and used through CONTAINERS_CONF
# and CONTAINERS_STORAGE_CONF, so the machine's own podman configuration is left alone:
#   - runtime runc: crun refuses the hybrid cgroup layout ("cgroups in hybrid mode not supported");
#   - cgroup_manager cgroupfs, events_logger file: there is no systemd or journald;
#   - default_ulimits: podman asks for nproc 1048576 and runc cannot set it (nor even the hard
#     limit the shell reports); nofile is `ulimit -Hn` (raising it fails), nproc a modest 4096;
#   - storage: overlay works natively on ext4 here (set STORAGE_DRIVER=vfs where it does not);
#   - network: podman's default netavark bridge works; the build reaches PyPI through it;
#   - health checks: podman schedules them with systemd timers, absent here, so this script runs
#     each container's own configured check with `podman healthcheck run` until it reports healthy.
#
# Each step prints one line; on failure the last one says which step failed and why, after the
# tail of the full log ($CACHE/last-run.log). KEEP=1 leaves the containers running at the end.
set -Eeuo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-/var/cache/channelpulse-ci}
LOG=$CACHE/last-run.log
PROJECT=channelpulse-ci
APP_SERVICE=channelpulse  # the service whose `status` the checks read (`bot` in the split)
PROFILE_ARGS=()  # `--profile mtproto` while the split runs
BASE_IMAGE=localhost/channelpulse-base:bookworm
export CHANNELPULSE_IMAGE=localhost/channelpulse:ci POSTGRES_IMAGE=localhost/channelpulse-postgres:ci
# The split's database password; any letters and digits (it goes into DATABASE_URL).
export POSTGRES_PASSWORD=channelpulseci
export SANDBOX_CHANNELS=pulse_news,pulse_tech
SUITE=bookworm  # its Python is 3.11, as python:3.11-slim's
DEBOOTSTRAP_INCLUDE=python3,python3-venv,python3-pip,python-is-python3,ca-certificates
PODMAN_COMPOSE_VERSION=1.6.0
APT_PACKAGES=(podman runc debootstrap)
HANG_GUARD=240  # seconds any wait below may take before it is called a failure

STEP=starting
STARTED=$SECONDS
UP=0

say() { printf 'test-deploy: %s\n' "$*"; }
fail() {
    [[ -f $LOG ]] && { echo "--- last lines of $LOG:" >&2; tail -n 25 "$LOG" >&2; }
    printf 'test-deploy: FAILED at "%s": %s\n' "$STEP" "$*" >&2
    exit 1
}
trap 'fail "a command exited with status $? (line $LINENO; full log: $LOG)"' ERR
step() {
    STEP=$1
    say "$(printf '[%4ds] %s' $((SECONDS - STARTED)) "$1")"
}
quiet() { "$@" >>"$LOG" 2>&1; }  # the command's output goes to the log only
# A step that reaches the network (apt, the Debian mirror, PyPI) gets three tries: a mirror's
# hiccup should not fail CI. `before` (may be empty) runs before every try, to clear a half-done one.
retried() {
    local before=$1 try
    shift
    for try in 1 2 3; do
        [[ -z $before ]] || eval "$before"
        if quiet "$@"; then return 0; fi
        ((try < 3)) || return 1
        say "       failed (try $try of 3; see $LOG), trying again in $((try * 15)) s"
        sleep $((try * 15))
    done
}
cleanup() {
    if ((UP)) && [[ ${KEEP:-0} != 1 ]]; then
        compose down >>"$LOG" 2>&1 || say "teardown: podman-compose down failed (see $LOG)"
    fi
}
trap cleanup EXIT

compose() { (cd "$CACHE/run" && "$CACHE/tools/bin/podman-compose" -p "$PROJECT" \
    -f docker-compose.yml -f compose.sandbox.yml "${PROFILE_ARGS[@]}" "$@"); }
containers() { podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'; }
container_of() {
    podman ps -a --filter "label=io.podman.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1
}
status_json() { podman exec "$(container_of "$APP_SERVICE")" python main.py status --json; }

# The posts per channel SANDBOX_CHANNELS names, from `status --json` on stdin, as "name=count ..."
# sorted by name. Exit status 3 (and which ones, on stderr) while any of them is not active with
# at least one post yet.
posts_by_channel() {
    python3 -c '
import json, sys
names = sorted(sys.argv[1].split(","))
channels = {c["username"]: c for c in json.load(sys.stdin)["channels"]}
missing = [n for n in names if n not in channels or channels[n]["status"] != "active"
           or channels[n]["posts"] < 1]
if missing:
    print("not collected:", ", ".join(missing), file=sys.stderr)
    sys.exit(3)
print(" ".join("%s=%d" % (n, channels[n]["posts"]) for n in names))
' "$SANDBOX_CHANNELS"
}

# Every count in $2 at least the one for the same channel in $1 ("name=count ..." each).
none_lost() {
    python3 -c '
import sys
before, after = (dict(p.split("=") for p in s.split()) for s in sys.argv[1:3])
lost = [f"{n}: {before[n]} -> {after.get(n)}" for n in before if int(after.get(n, -1)) < int(before[n])]
sys.exit("posts lost: " + "; ".join(lost) if lost else 0)
' "$1" "$2"
}

wait_healthy() {
    local deadline=$((SECONDS + HANG_GUARD)) pending name state out
    while :; do
        pending=()
        for name in $(containers); do
            [[ $(podman inspect "$name" --format '{{if .Config.Healthcheck}}yes{{end}}') == yes ]] || continue
            out=$(podman healthcheck run "$name" 2>&1) || true
            state=$(podman inspect "$name" --format '{{.State.Health.Status}}')
            [[ $state == healthy ]] || pending+=("$name: $state ($out)")
        done
        ((${#pending[@]} == 0)) && return 0
        ((SECONDS < deadline)) || fail "not healthy after ${HANG_GUARD}s: ${pending[*]}"
        sleep 3
    done
}

wait_collected() {
    local deadline=$((SECONDS + HANG_GUARD)) json out rc
    while :; do
        if json=$(status_json 2>>"$LOG"); then
            rc=0
            out=$(posts_by_channel <<<"$json" 2>&1) || rc=$?
            ((rc == 0)) && { COLLECTED=$out; return 0; }
            ((rc == 3)) || fail "cannot read status --json: $out"
        else
            out="status --json failed in the container (see $LOG)"
        fi
        ((SECONDS < deadline)) || fail "no posts after ${HANG_GUARD}s: $out"
        sleep 3
    done
}

stopped_cleanly() {
    local name code
    [[ -n $(containers) ]] || fail "no containers to check"
    for name in $(containers); do
        code=$(podman inspect "$name" --format '{{.State.Status}} {{.State.ExitCode}}')
        [[ $code == "exited 0" ]] || fail "$name did not stop cleanly: $code (its log: podman logs $name)"
    done
}

debian_mirror() {
    # The mirror apt uses here (deb822 .sources or one-line sources.list), so debootstrap works
    # wherever apt does.
    local uri
    uri=$(grep -hs -A3 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ /(^| )'"$SUITE"'( |$)/ {print u; exit}')
    [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $3 == "'"$SUITE"'" {print $2; exit}' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

# The machine's own pip index (index-url, extra-index-url over http(s); PIP_INDEX_URL), as
# pip.conf lines: the build's pip then uses it too. Local file:// indexes are of no use there.
pip_index_conf() {
    python3 - <<'EOF' 2>/dev/null || true
import os, subprocess, sys
listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
urls = {}
for line in listed.stdout.splitlines():
    key, _, value = line.partition("=")
    name = key.rpartition(".")[2]
    if name in ("index-url", "extra-index-url"):
        urls.setdefault(name, []).extend(
            u for u in value.strip("'\"").split() if u.startswith(("http://", "https://")))
if os.environ.get("PIP_INDEX_URL"):
    urls["index-url"] = [os.environ["PIP_INDEX_URL"]]
for name, values in sorted(urls.items()):
    if values:
        print(f"{name} = {' '.join(values)}")
EOF
}

[[ $(id -u) == 0 ]] || { echo "test-deploy: needs root (rootful podman, debootstrap)" >&2; exit 2; }
mkdir -p "$CACHE"
: >"$LOG"

step "tools: ${APT_PACKAGES[*]}, podman-compose $PODMAN_COMPOSE_VERSION"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || fail "install ${missing[*]}: no apt-get here"
    retried "" apt-get update -q
    DEBIAN_FRONTEND=noninteractive retried "" apt-get install -y -q "${missing[@]}"
fi
if ! [[ -x $CACHE/tools/bin/podman-compose ]] \
    || [[ $("$CACHE/tools/bin/podman-compose" --version 2>/dev/null | head -n 1) != *"$PODMAN_COMPOSE_VERSION"* ]]; then
    quiet python3 -m venv "$CACHE/tools"
    retried "" "$CACHE/tools/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION"
fi

step "podman configuration in $CACHE"
cat >"$CACHE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "/run/channelpulse-ci/libpod"
EOF
cat >"$CACHE/storage.conf" <<EOF
[storage]
driver = "${STORAGE_DRIVER:-overlay}"
graphroot = "$CACHE/storage"
runroot = "/run/channelpulse-ci/storage"
EOF
export CONTAINERS_CONF=$CACHE/containers.conf CONTAINERS_STORAGE_CONF=$CACHE/storage.conf
# Containers of a run that was interrupted before its teardown.
[[ -z $(containers) ]] || { UP=1; mkdir -p "$CACHE/run"; cp "$REPO/docker-compose.yml" \
    "$REPO/deploy/compose.sandbox.yml" "$CACHE/run/"; PROFILE_ARGS=(--profile mtproto)
    quiet compose down; PROFILE_ARGS=(); }

step "base image $BASE_IMAGE"
mirror=$(debian_mirror)
mkdir -p "$CACHE/base"
# The base is rebuilt when what goes into it changes: suite, packages, mirror, CAs, pip index.
key=$( { echo "$SUITE $DEBOOTSTRAP_INCLUDE $mirror"; pip_index_conf
    cat /usr/local/share/ca-certificates/* 2>/dev/null || true; } | sha256sum | cut -c1-16)
if [[ $(cat "$CACHE/base/key" 2>/dev/null) != "$key" || ! -f $CACHE/base/rootfs.tar ]]; then
    say "       debootstrap $SUITE from $mirror (about 2 minutes)"
    rootfs=$CACHE/base/rootfs
    rm -rf "$rootfs" "$CACHE/base/rootfs.tar" "$CACHE/base/key"
    retried 'rm -rf "$rootfs"' debootstrap --variant=minbase --include="$DEBOOTSTRAP_INCLUDE" "$SUITE" "$rootfs" "$mirror"
    # The machine's extra CAs (a TLS-inspecting proxy's, say), so pip in the build trusts what
    # pip here trusts.
    if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
        cp -r /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
    fi
    quiet chroot "$rootfs" update-ca-certificates
    pip_index_conf | { conf=$(cat); [[ -z $conf ]] || printf '[global]\n%s\n' "$conf" >"$rootfs/etc/pip.conf"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$CACHE/base/rootfs.tar.part" .
    mv "$CACHE/base/rootfs.tar.part" "$CACHE/base/rootfs.tar"
    rm -rf "$rootfs"
    echo "$key" >"$CACHE/base/key"
    quiet podman rmi -f "$BASE_IMAGE" || true
fi
if ! podman image exists "$BASE_IMAGE"; then
    quiet podman import "$CACHE/base/rootfs.tar" "$BASE_IMAGE"
fi

step "build $CHANNELPULSE_IMAGE from the Dockerfile"
# The docker format keeps HEALTHCHECK, which the OCI format drops.
BUILDAH_FORMAT=docker retried "" podman build --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    -t "$CHANNELPULSE_IMAGE" "$REPO"
[[ $(podman image inspect "$CHANNELPULSE_IMAGE" --format '{{.Config.Healthcheck}}') != '<nil>' ]] \
    || fail "the image has no HEALTHCHECK"

step "postgres image $POSTGRES_IMAGE from deploy/postgres.Dockerfile"
key=$(cat "$REPO/deploy/postgres.Dockerfile" "$REPO/deploy/postgres-entrypoint.sh" \
    <(podman image inspect "$BASE_IMAGE" --format '{{.Id}}') | sha256sum | cut -c1-16)
if [[ $(podman image inspect "$POSTGRES_IMAGE" --format '{{index .Labels "channelpulse.key"}}' \
    2>/dev/null || true) != "$key" ]]; then
    say "       apt-get install postgresql-15 from the Debian mirror (about a minute)"
    BUILDAH_FORMAT=docker retried "" podman build --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --label "channelpulse.key=$key" -t "$POSTGRES_IMAGE" -f "$REPO/deploy/postgres.Dockerfile" "$REPO/deploy"
fi

step "compose up: docker-compose.yml + deploy/compose.sandbox.yml, a fresh ./data"
rm -rf "$CACHE/run"
mkdir -p "$CACHE/run/data"
cp "$REPO/docker-compose.yml" "$REPO/deploy/compose.sandbox.yml" "$CACHE/run/"
: >"$CACHE/run/.env"  # the sandbox needs no token or session
chown 10001 "$CACHE/run/data"  # as the README asks: the container's user owns its data folder
SANDBOX_ANCHOR=$(date +%s)
export SANDBOX_ANCHOR
UP=1
quiet compose up -d --no-build

step "health checks"
wait_healthy

step "collection: status in the container shows $SANDBOX_CHANNELS collected"
wait_collected
say "       $COLLECTED"

step "graceful stop: every container exits 0"
quiet compose stop
stopped_cleanly

step "the data is on the host's ./data, readable with the app stopped"
owner=$(stat -c %u "$CACHE/run/data/pulse.db" 2>/dev/null) || fail "no ./data/pulse.db on the host"
[[ $owner == 10001 ]] || fail "./data/pulse.db is owned by uid $owner, not the container's 10001"
quiet compose down
# podman-compose prints the network it creates first: the JSON is the last line.
out=$(compose run --rm --no-deps "$APP_SERVICE" python main.py status --json 2>>"$LOG" | tail -n 1) \
    || fail "status in a one-off container failed"
on_disk=$(posts_by_channel <<<"$out" 2>&1) || fail "status in a one-off container: $on_disk"
none_lost "$COLLECTED" "$on_disk" || fail "from the running app to the stopped one's ./data"

step "restart: a new container on the same ./data"
quiet compose up -d --no-build
wait_healthy
wait_collected
none_lost "$on_disk" "$COLLECTED" || fail "after the restart"
say "       $COLLECTED"

step "teardown of the one service"
quiet compose stop
stopped_cleanly
quiet compose down
UP=0

# The split: podman 4.3 ignores depends_on's service_healthy (podman-compose says so), so postgres
# is brought up and waited for first; and podman-compose stops every service at once, so the
# bot and the collector are stopped before postgres, as docker compose's own order does.
step "split: compose --profile mtproto up postgres, healthy, on a fresh volume"
PROFILE_ARGS=(--profile mtproto)
APP_SERVICE=bot
SANDBOX_ANCHOR=$(date +%s)  # the bot's and the collector's one timeline
if podman volume exists "${PROJECT}_pgdata"; then quiet podman volume rm "${PROJECT}_pgdata"; fi
volumes=$(podman volume ls -q | wc -l)  # the same after the teardown: none left behind
UP=1
quiet compose up -d --no-build postgres
wait_healthy

step "split: bot --sandbox and collector --sandbox up, every health check healthy"
quiet compose up -d --no-build --no-deps bot collector
wait_healthy

step "split: status in the bot's container shows $SANDBOX_CHANNELS collected by the collector"
wait_collected
say "       $COLLECTED"

step "split: graceful stop (bot and collector, then postgres): every container exits 0"
quiet compose stop bot collector
quiet compose stop postgres
stopped_cleanly

step "split: teardown"
if [[ ${KEEP:-0} == 1 ]]; then
    quiet compose start postgres
    quiet compose start bot collector
    say "       KEEP=1: left running; stop with: cd $CACHE/run && $CACHE/tools/bin/podman-compose -p $PROJECT --profile mtproto down"
else
    quiet compose down -v
    (($(podman volume ls -q | wc -l) == volumes)) || fail "volumes left behind: $(podman volume ls -q)"
fi
UP=0
say "passed in $((SECONDS - STARTED)) s"
