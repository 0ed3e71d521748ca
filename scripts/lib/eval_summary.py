"""Builds the README's evaluation table from the reports scripts/evaluate.sh wrote (run/eval/*.txt):
APGR by RouteLLM's protocol per two-model set, and AIQ / cost saved at the best model's quality
for AlpacaEval 2, as mean [min, max] over the seeds, one column per set."""
import re
import sys
from pathlib import Path



def table(path, header):
    """The section that starts with `header`: router -> {column title: cell}, cut at the header
    row's column positions."""
    rows, inside, columns = {}, False, None
    for line in Path(path).read_text().splitlines():
        if line.startswith("-- "):
            inside, columns = line.startswith(header), None
            continue
        if not inside or not line.startswith("  "):
            continue
        if line.startswith("  router "):
            titles = re.findall(r"\S+(?: \S+)*", line)
            columns = [(t, line.index(t)) for t in titles]
            continue
        if columns is None:
            continue
        bounds = [c[1] for c in columns] + [len(line) + 1]
        cells = {title: line[bounds[i]:bounds[i + 1]].strip() for i, (title, _) in enumerate(columns)}
        name = cells.pop("router")
        if not cells.get(columns[1][0]):  # a name wider than its column: "optimal (...) 1.285 [...]"
            name, _, figure = line.strip().partition(")")
            name, cells = name + ")", {columns[1][0]: figure.strip()}
        rows[name] = cells
    return rows


def main(folder, embedder):
    sets = [("mmlu", "MMLU"), ("gsm8k", "GSM8K"), ("mt-bench", "MT-Bench¹"), ("mt-bench-with-alpaca", "MT-Bench²"),
            ("pooled", "pooled")]
    apgr = {key: table(f"{folder}/{key}-{embedder}.txt", "-- RouteLLM's protocol") for key, _ in sets}
    alpaca = table(f"{folder}/alpaca-eval2-{embedder}.txt", "-- cost-aware alpha sweep")
    routers = [r for r in apgr["mmlu"] if not r.startswith("random (") and not r.startswith("optimal")]
    routers += ["random (RouteLLM's seeded loop)", "optimal (RouteLLM's oracle curve)"]
    print("| router | " + " | ".join(name for _, name in sets) + " | AlpacaEval 2 AIQ | saved at best |")
    print("|---" * (len(sets) + 3) + "|")
    for r in routers:
        cells = [apgr[key].get(r, {}).get("APGR", "") for key, _ in sets]
        a = alpaca.get(r, {})
        cells += [a.get("AIQ", ""), a.get("saved at best", "")]
        print(f"| {r} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "run/eval", sys.argv[2] if len(sys.argv) > 2 else "minilm")
