#!/usr/bin/env bash
# Computes, with RouteLLM's own evaluation code, the figures `switchyard eval` must print for the
# bundled MMLU split (seed 42), and writes them to Tests/ClusterTests/Fixtures/routellm-mmlu-seed42.json,
# which the test command checks the Swift evaluation against (EvalCommandTests).
#
#   scripts/routellm-crosscheck.sh [SHARED_TOOLS]   (default: ../shared/tools)
#
# RouteLLM's protocol comes from routellm_metrics.py in the shared tools (lm-sys/RouteLLM evals,
# line for line: pd.qcut thresholds, np.trapezoid, np.interp, the seeded random loop), run on the
# per-prompt scores `switchyard eval --per-prompt` exports, in a virtual environment with the
# pandas RouteLLM's results were published with (2.2.2; pandas 3 rounds qcut's quantiles up and
# moves APGR in the fifth decimal) and numpy 2.0.2. Rerun it when a router's training changes.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SWITCHYARD_ROOT"
tools=$(cd "${1:-../shared/tools}" && pwd)
[ -f "$tools/routellm_metrics.py" ] || { echo "routellm-crosscheck: no routellm_metrics.py in $tools" >&2; exit 2; }
ensure_apt_packages
swift build
bin=$(swift build --show-bin-path)
venv=.build/routellm-metrics
if ! "$venv/bin/python" -c 'import pandas, numpy; assert pandas.__version__ == "2.2.2" and numpy.__version__ == "2.0.2"' 2>/dev/null; then
  log "creating $venv (pandas 2.2.2, numpy 2.0.2)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check pandas==2.2.2 numpy==2.0.2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
routers=cluster,length,random
arguments=(eval --data data/routellm/mmlu.jsonl.gz --seeds 42 --routers "$routers")
log "switchyard ${arguments[*]} --per-prompt"
"$bin/switchyard" "${arguments[@]}" --per-prompt "$work/per-prompt.jsonl" >/dev/null
for router in ${routers//,/ }; do
  "$venv/bin/python" "$tools/routellm_metrics.py" "$work/per-prompt.jsonl" --score "$router" >"$work/$router.json"
done
"$venv/bin/python" - "$work" "$routers" "${arguments[*]}" <<'PY' >Tests/ClusterTests/Fixtures/routellm-mmlu-seed42.json
import json, sys
work, routers, arguments = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
figures = {router: json.load(open(f"{work}/{router}.json")) for router in routers}
keys = ("apgr", "cpt20", "cpt50", "cpt80")
first = figures[routers[0]]
print(json.dumps({
    "produced_by": "scripts/routellm-crosscheck.sh: routellm_metrics.py (RouteLLM's evaluation, pandas 2.2.2, numpy 2.0.2) "
                   f"on the per-prompt scores of `switchyard {arguments} --per-prompt`",
    "arguments": arguments.split(" "),
    "prompts": first["prompts"],
    "routers": {router: {k: figures[router]["router"][k] for k in keys} for router in routers},
    "random_loop": {k: first["random"][k] for k in keys},
    "optimal": {k: first["optimal"][k] for k in keys},
}, indent=1))
PY
log "wrote Tests/ClusterTests/Fixtures/routellm-mmlu-seed42.json"
