#!/usr/bin/env bash
# Builds the container image of every executable with buildah (no daemon, no registry), tagged
# switchyard:<version>, exports it as an OCI archive, and checks it: each executable's --help and
# a router answering Health, run from the image's own file system under chroot.
#
#   scripts/image.sh               build release, the image, the archive, the check
#   scripts/image.sh --debug       the same from the debug build (what the test command checks:
#                                  the packaging, without a second full build)
#   scripts/image.sh --check-only  only check the image already built
#
# Push to a registry: buildah --storage-driver vfs push switchyard:<version> docker://REGISTRY/switchyard:<version>
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

version=$(sed -n 's/^public let switchyardVersion = "\(.*\)"/\1/p' Sources/ServiceKit/ServiceHost.swift)
tag="switchyard:$version"
work="$SWITCHYARD_ROOT/run/image"
executables=(switchyard switchyard-router switchyard-embed switchyard-coordinator switchyard-gateway switchyard-load switchyard-bench)
configuration=release
b() { buildah --storage-driver vfs "$@"; }

build() {
  ensure_apt_packages
  ensure_apt_packages buildah binutils ca-certificates
  # The Swift runtime stays shared: linked statically, Foundation and its ICU data would be copied
  # into each of the seven executables (65 MB each, 522 MB in all, against about a fifth of that).
  log "building ($configuration)"
  swift build -c "$configuration" >/dev/null
  local bin
  bin=$(swift build -c "$configuration" --show-bin-path)
  log "staging the executables and the shared libraries they load"
  rm -rf "$work"
  mkdir -p "$work/rootfs/usr/local/bin" "$work/rootfs/tmp" "$work/rootfs/data" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys"
  chmod 1777 "$work/rootfs/tmp"
  local libraries=() executable library
  for executable in "${executables[@]}"; do
    strip -o "$work/rootfs/usr/local/bin/$executable" "$bin/$executable"
    while read -r library; do libraries+=("$library"); done < <(ldd "$bin/$executable" | grep -o '/[^ ]*')
  done
  for library in $(printf '%s\n' "${libraries[@]}" | sort -u); do
    mkdir -p "$work/rootfs$(dirname "$library")"
    cp -L "$library" "$work/rootfs$library"
  done
  cp data/prices.json "$work/rootfs/data/"
  # The CA certificates https upstreams are checked against when they have no ca_file (Debian's
  # ca-certificates bundle, where BoringSSL looks for the system's trust store).
  mkdir -p "$work/rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/"
  cp deploy/image/Containerfile "$work/"
  log "building $tag"
  b rmi -f "$tag" >/dev/null 2>&1 || true
  b bud --isolation chroot --layers=false -t "$tag" -f "$work/Containerfile" "$work" >/dev/null
  rm -f "$work/switchyard-$version.oci.tar"
  b push "$tag" "oci-archive:$work/switchyard-$version.oci.tar:$tag" >/dev/null
  log "$tag: $(du -sh "$work/rootfs" | cut -f1) of files; OCI archive $(du -h "$work/switchyard-$version.oci.tar" | cut -f1) at run/image/switchyard-$version.oci.tar"
}

check() {
  log "checking $tag from its own file system"
  local container root executable pid="" port
  container=$(b from "$tag")
  root=$(b mount "$container")
  # A container runtime mounts /proc; Swift reads a process's arguments from it on Linux.
  mount -t proc proc "$root/proc"
  cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    umount "$root/proc" 2>/dev/null || true
    b umount "$container" >/dev/null 2>&1 || true
    b rm "$container" >/dev/null 2>&1 || true
  }
  trap cleanup RETURN
  for executable in "${executables[@]}"; do
    chroot "$root" "/usr/local/bin/$executable" --help >/dev/null || { echo "image.sh: $executable --help failed in the image" >&2; return 1; }
  done
  mkdir -p "$root/tmp/check"
  local host_bin
  host_bin=$(swift build -c "$configuration" --show-bin-path)
  "$host_bin/switchyard" train --data data/routellm/mt_bench.jsonl.gz --knob cluster.k=4 --out "$root/tmp/check/router.bin" >/dev/null 2>&1
  chroot "$root" /usr/local/bin/switchyard-router --port 0 --port-file /tmp/check/port --router-file /tmp/check/router.bin --log-level warning &
  pid=$!
  for _ in $(seq 100); do [ -s "$root/tmp/check/port" ] && break; sleep 0.1; done
  port=$(cat "$root/tmp/check/port" 2>/dev/null || true)
  [ -n "$port" ] || { echo "image.sh: the router in the image did not start" >&2; return 1; }
  "$host_bin/switchyard" status --wait 10 "127.0.0.1:$port" | head -3
  log "$tag: every executable runs, and a router from the image answers Health"
  check_trust_store
}

# The gateway in the image verifies an https upstream through the image's CA bundle: a server
# whose certificate a test CA signs, that CA added to this container's copy of the bundle (the
# image keeps Debian's), and an upstream without ca_file; the same upstream is refused before.
check_trust_store() {
  ensure_apt_packages curl openssl
  python3 scripts/lib/https_upstream.py "$root/tmp/check" &
  local upstream=$! gateway="" answer
  for _ in $(seq 100); do [ -s "$root/tmp/check/https.port" ] && break; sleep 0.1; done
  printf '{"upstreams": [{"name": "private", "kind": "openai", "base_url": "https://127.0.0.1:%s/v1", "input_per_million": 1, "output_per_million": 1}]}\n' \
    "$(cat "$root/tmp/check/https.port")" >"$root/tmp/check/gateway.json"
  ask() {
    rm -f "$root/tmp/check/openai.port"
    chroot "$root" /usr/local/bin/switchyard-gateway --port 0 --config /tmp/check/gateway.json --openai-port 0 \
      --openai-port-file /tmp/check/openai.port --log-level error &
    gateway=$!
    for _ in $(seq 100); do [ -s "$root/tmp/check/openai.port" ] && break; sleep 0.1; done
    curl -s "http://127.0.0.1:$(cat "$root/tmp/check/openai.port")/v1/chat/completions" \
      -d '{"model": "private", "messages": [{"role": "user", "content": "one two three"}]}'
    kill "$gateway"; wait "$gateway" 2>/dev/null || true; gateway=""
  }
  local before after
  before=$(ask)
  cat "$root/tmp/check/ca.pem" >>"$root/etc/ssl/certs/ca-certificates.crt"
  after=$(ask)
  kill "$upstream"; wait "$upstream" 2>/dev/null || true
  if [[ $before == *"three two one"* ]]; then echo "image.sh: an upstream signed by an unknown CA was trusted" >&2; return 1; fi
  if [[ $after != *"three two one"* ]]; then echo "image.sh: the gateway in the image did not verify the upstream through the image's CA bundle: $after" >&2; return 1; fi
  log "$tag: the gateway verifies an https upstream through the image's CA bundle (and refused it before its CA was in it)"
}

case "${1:-}" in
  --check-only) check ;;
  --debug) configuration=debug; tag="$tag-debug"; version="$version-debug"; build; check ;;
  "") build; check ;;
  *) echo "usage: scripts/image.sh [--debug | --check-only]" >&2; exit 2 ;;
esac
