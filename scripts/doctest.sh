#!/usr/bin/env bash
# Runs the examples of README.md and deploy/README.md marked for it (```sh doctest,
# ```python doctest) as written, in order, one file at a time, from the repository's root, so an
# example that stops working fails the test command (scripts/test.sh runs this after the build).
#
# What differs from a reader's terminal, and only this: the debug build stands for the release
# build (scripts/lib/doctest_blocks.py reads `.build/release` as `.build/debug`, and cluster.sh
# and netlab.sh are pointed at it with SWITCHYARD_BIN); Python blocks run with .venv/bin/python,
# the environment a README block makes; when the tests run as root, `sudo` runs the command as it
# is (keeping that environment). Afterwards whatever a block left running is stopped (scripts/cluster.sh down, the
# lab's example-down) and the files the blocks wrote into the checkout are removed.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages curl openssl   # the examples call them
files=("$@")
[ $# -gt 0 ] || files=(README.md deploy/README.md)
bin=$(swift build --show-bin-path)
before=$(mktemp)
git ls-files --others --exclude-standard | sort >"$before"
cleanup() {
  SWITCHYARD_BIN="$bin" scripts/cluster.sh down >/dev/null 2>&1 || true
  if ip netns list 2>/dev/null | grep -q '^swyx-switch'; then scripts/netlab.sh example-down >/dev/null 2>&1 || true; fi
  comm -13 "$before" <(git ls-files --others --exclude-standard | sort) | while read -r file; do rm -f "$file"; done
  rm -f "$before"
}
trap cleanup EXIT

shims=$(mktemp -d)
if [ "$(id -u)" -eq 0 ]; then
  printf '#!/bin/sh\nexec "$@"\n' >"$shims/sudo"
  chmod +x "$shims/sudo"
fi
for file in "${files[@]}"; do
  log "doc-test: $file"
  script=$(python3 scripts/lib/doctest_blocks.py "$file")
  PATH="$shims:$PATH" SWITCHYARD_BIN="$bin" DOCTEST_PYTHON="$SWITCHYARD_ROOT/.venv/bin/python" \
    bash -euo pipefail -c "$script" || { echo "doctest.sh: an example of $file failed (the last block announced above)" >&2; exit 1; }
done
log "doc-test: every marked example ran"
