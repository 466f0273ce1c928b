#!/usr/bin/env bash
# Debian's chromium for the dashboard's browser tests (`make test` runs this first). Installs it with
# apt when it is missing and we are root; never a browser build Playwright would download. When it
# cannot be had, says so in one line and exits 0: the browser tests then skip, naming the reason.
set -uo pipefail
CHROMIUM=/usr/bin/chromium
[[ -x $CHROMIUM ]] && exit 0
skip() { echo "install-chromium: $1; the dashboard's browser tests will be skipped" >&2; exit 0; }
[[ $(id -u) -eq 0 ]] || skip "$CHROMIUM is missing and only root can install it (apt-get install chromium)"
command -v apt-get >/dev/null || skip "$CHROMIUM is missing and there is no apt-get here"
# Three tries each: a mirror's hiccup should not cost the browser tests.
retried() {
    local try
    for try in 1 2 3; do
        "$@" >/dev/null 2>&1 && return 0
        sleep $((try * 5))
    done
    return 1
}
export DEBIAN_FRONTEND=noninteractive
retried apt-get update -q || skip "apt-get update failed"
retried apt-get install -y -q --no-install-recommends chromium || skip "apt-get install chromium failed"
[[ -x $CHROMIUM ]] || skip "apt installed chromium but $CHROMIUM is not there"
echo "install-chromium: installed $($CHROMIUM --version 2>/dev/null)" >&2
