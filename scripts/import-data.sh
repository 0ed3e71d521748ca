#!/usr/bin/env bash
# Regenerates the bundled datasets under data/ from the published result files
# (default: ../shared/data beside the repo). Not needed to run anything: data/ is committed.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
source_dir=${1:-../shared/data}
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
mkdir -p data/routellm
"$bin/switchyard" convert routellm-mmlu --input "$source_dir/routellm" --out data/routellm/mmlu.jsonl.gz
"$bin/switchyard" convert routellm-gsm8k --input "$source_dir/routellm" --out data/routellm/gsm8k.jsonl.gz
"$bin/switchyard" convert routellm-mt-bench --input "$source_dir/routellm" --out data/routellm/mt_bench.jsonl.gz
"$bin/switchyard" convert alpaca-eval2 --input "$source_dir/alpaca_eval2" --out data/alpaca_eval2.jsonl.gz
"$bin/switchyard" convert head-to-head --input data/alpaca_eval2.jsonl.gz --baseline gpt4_1106_preview \
    --challenger Mixtral-8x7B-Instruct-v0.1_concise --rename gpt4_1106_preview=gpt-4-1106-preview \
    --rename Mixtral-8x7B-Instruct-v0.1_concise=mistralai/Mixtral-8x7B-Instruct-v0.1 --out data/alpaca_eval2-gpt4-vs-mixtral.jsonl.gz
