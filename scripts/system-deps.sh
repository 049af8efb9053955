#!/usr/bin/env bash
# Installs the system packages the test suite starts as real servers (and, with `bench`, the
# benchmarks' load generator) when they are missing.
# Needs root (CI runs as root); otherwise it says what is missing and the tests that need it
# skip with that reason (under CI=true such a skip fails the run).
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v runuser >/dev/null 2>&1; then
  missing+=(util-linux)
fi
# The Redis-backed job queue is tested against a real server.
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  missing+=(redis-server)
fi
# The account pages are tested in a real browser: Debian's chromium, driven by Playwright.
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# `system-deps.sh bench` also brings the load generator the benchmarks drive servers with.
if [ "${1:-}" = "bench" ] && ! command -v wrk >/dev/null 2>&1; then
  missing+=(wrk)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} (install them with your package manager; tests needing them will skip)" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]} from apt"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
