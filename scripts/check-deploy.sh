#!/usr/bin/env bash
# Checks deploy/ offline: the Kubernetes manifests against the Kubernetes API schema
# (kubernetes-validate, from PyPI) and the systemd units with `systemd-analyze verify`, pointed at
# the built executables. Run by scripts/test.sh after the build.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

bin=${1:-$(swift build --show-bin-path)}

log "validating deploy/kubernetes/*.yaml"
"$SWITCHYARD_PYTHON_ENV/bin/kubernetes-validate" --quiet deploy/kubernetes/*.yaml

log "verifying deploy/systemd/*.service"
if ! command -v systemd-analyze >/dev/null; then
  echo "check-deploy: systemd-analyze not found (Debian: systemd); cannot verify the units" >&2
  exit 1
fi
units=$(mktemp -d)
trap 'rm -rf "$units"' EXIT
for unit in deploy/systemd/*.service; do
  name=$(basename "$unit")
  # A template unit is verified as one instance (port 7201).
  [[ $name == *@.service ]] && name=${name/@.service/@7201.service}
  sed "s#/usr/local/bin/#$bin/#g" "$unit" >"$units/$name"
done
# verify reports a line it ignores as a warning with exit status 0: any output is a failure.
problems=$(cd "$units" && systemd-analyze verify --man=no ./*.service 2>&1) || true
if [ -n "$problems" ]; then
  echo "$problems" | sed "s#$units/#deploy/systemd/#g" >&2
  exit 1
fi
