#!/usr/bin/env bash
# The routers' evaluation behind the README's evaluation section: every router family on MMLU,
# GSM8K, MT-Bench, the pooled RouteLLM set and AlpacaEval 2, by RouteLLM's protocol over seeds
# 42, 7, 99 (70/30 splits), with each embedder. MT-Bench is never trained on: its routers learn
# from MMLU + GSM8K, and (the issue's prescription, reported beside it) from the AlpacaEval 2
# judgements of gpt4_1106_preview against Mixtral-8x7B-Instruct plus MMLU + GSM8K.
#
#   scripts/evaluate.sh [hash|minilm ...]     (default: hash minilm)
#   SWITCHYARD_BIN     the executables (default: the release build, built first)
#
# Writes run/eval/<set>-<embedder>.txt (the printed tables), .json and the per-prompt JSONL.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
ensure_apt_packages
embedders=("$@")
[ ${#embedders[@]} -gt 0 ] || embedders=(hash minilm)
for embedder in "${embedders[@]}"; do [ "$embedder" != minilm ] || ensure_python_env; done
bin=${SWITCHYARD_BIN:-}
if [ -z "$bin" ]; then
  swift build -c release
  bin=$(swift build -c release --show-bin-path)
fi
out=run/eval
mkdir -p "$out"
r=data/routellm
pair=data/alpaca_eval2-gpt4-vs-mixtral.jsonl.gz

evaluate() { # name, embedder, eval arguments...
  local name=$1 embedder=$2
  shift 2
  log "eval $name ($embedder)"
  "$bin/switchyard" eval --embedder "$embedder" "$@" --per-prompt "$out/$name-$embedder.per-prompt.jsonl" \
    | tee "$out/$name-$embedder.txt"
}

for e in "${embedders[@]}"; do
  evaluate mmlu "$e" --data $r/mmlu.jsonl.gz
  evaluate gsm8k "$e" --data $r/gsm8k.jsonl.gz
  evaluate mt-bench "$e" --data $r/mt_bench.jsonl.gz --train $r/mmlu.jsonl.gz --train $r/gsm8k.jsonl.gz
  evaluate mt-bench-with-alpaca "$e" --data $r/mt_bench.jsonl.gz --train $pair --train $r/mmlu.jsonl.gz --train $r/gsm8k.jsonl.gz
  evaluate pooled "$e" --data $r/mmlu.jsonl.gz --data $r/gsm8k.jsonl.gz --data $r/mt_bench.jsonl.gz
  evaluate alpaca-eval2 "$e" --data data/alpaca_eval2.jsonl.gz
done
for e in "${embedders[@]}"; do python3 scripts/lib/eval_summary.py "$out" "$e" > "$out/summary-$e.md"; done
log "reports in $out/ (the README's tables: $out/summary-<embedder>.md)"
