#!/usr/bin/env bash
# Issue 26's learning bench: replays real data through a running cluster (scripts/cluster.sh up
# --learn; the OpenAI SDK against the front door, replay upstreams, feedback = the recorded score
# of the model that answered) and runs LiteLLM's adaptive router (PyPI litellm, pinned, with
# LITELLM_LOCAL_MODEL_COST_MAP=True) on the same stream with the same feedback in the same run.
# Prints the table BENCHMARKS.md holds; per-run JSON under the output dir. See
# scripts/lib/learning_bench.py for what is measured and how.
#
#   scripts/learning-bench.sh                          every scenario, seeds 42, 7, 99 (~20 min)
#   scripts/learning-bench.sh --scenarios mmlu-a0.9-warm --seeds 42 --quick 1000   a short check
#   scripts/learning-bench.sh --publish-latency [--rate 20000]   how long a score takes to reach
#                          every replica with the coordinator under that many routes/s
#
# Options go to learning_bench.py: --scenarios, --seeds, --quick N (N stream prompts per pass),
# --clients (concurrent SDK clients, 4), --rate (requests/s, 0: as fast as answered),
# --publish-interval (the learner's, seconds; 0.25 here), --port-base, --out-dir.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
ensure_litellm
bin=${SWITCHYARD_BIN:-$(swift build -c release --show-bin-path)}
[ -x "$bin/switchyard-learner" ] || { log "building (release)"; swift build -c release; }
export LITELLM_LOCAL_MODEL_COST_MAP=True
if [ "${1:-}" = --publish-latency ]; then
  shift
  ensure_python_env
  clients/python/generate.sh >/dev/null   # the Python client's messages, LearnerStatus among them
  mkdir -p run/publish-latency
  "$bin/switchyard" train --data data/routellm/gsm8k.jsonl.gz --router cluster --embedder hash --out run/publish-latency/router.bin >/dev/null
  PYTHONPATH=clients/python:clients/python/generated exec "$SWITCHYARD_PYTHON_ENV/bin/python" scripts/lib/publish_latency.py \
    --bin "$bin" --router-file run/publish-latency/router.bin "$@"
fi
exec "$SWITCHYARD_LITELLM_ENV/bin/python" scripts/lib/learning_bench.py --bin "$bin" --publish-interval 0.25 "$@"
