#!/usr/bin/env python3
"""Turns the fenced blocks of a Markdown file marked for the doc-test (```sh doctest,
```python doctest) into one bash script that runs them in order, as a reader would in one
terminal: shell blocks as they are, Python blocks with $DOCTEST_PYTHON. Each block is announced
with its file and line, so a failure says which example broke.

    doctest_blocks.py FILE...   > script.sh

The one change made to the text: the test command has built the debug build, so `.build/release`
reads as `.build/debug` and `swift build -c release` as `swift build`.
"""
import re
import shlex
import sys

FENCE = re.compile(r"^```(\w+)\s+doctest\s*$")
SUBSTITUTIONS = [(".build/release", ".build/debug"), ("swift build -c release", "swift build")]


def blocks(path):
    """(line, language, text) of each marked block of `path`."""
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, body = i + 1, []
        i += 1
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            sys.exit(f"{path}:{start}: the block marked doctest never ends")
        yield start, match.group(1), "\n".join(body)
        i += 1


def main():
    script = []
    count = 0
    for path in sys.argv[1:]:
        for line, language, text in blocks(path):
            for old, new in SUBSTITUTIONS:
                text = text.replace(old, new)
            where = f"{path}:{line}"
            script.append(f"echo {shlex.quote(f'==> doc-test: {where} ({language})')} >&2")
            script.append(f"DOCTEST_BLOCK={shlex.quote(where)}")
            if language in ("sh", "bash", "shell"):
                script.append(text)
            elif language == "python":
                script.append(f'"$DOCTEST_PYTHON" - <<\'DOCTEST_PYTHON_BLOCK\'\n{text}\nDOCTEST_PYTHON_BLOCK')
            else:
                sys.exit(f"{where}: cannot run a {language} block")
            count += 1
    if count == 0:
        sys.exit("no block is marked doctest in " + ", ".join(sys.argv[1:]))
    print("\n".join(script))


if __name__ == "__main__":
    main()
