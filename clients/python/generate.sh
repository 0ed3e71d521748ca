#!/usr/bin/env bash
# Generates the Python message classes from proto/ with protoc (Debian: protobuf-compiler) into
# clients/python/generated/ (not committed; the .proto files are the contract).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto="$here/../../proto"
out="$here/generated"
command -v protoc >/dev/null || { echo "generate.sh: protoc not found (apt-get install protobuf-compiler)" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out"
(cd "$proto" && protoc --python_out="$out" $(find . -name '*.proto' | sed 's|^\./||'))
# Make switchyard/ and switchyard/v1/ importable packages.
find "$out" -type d -exec touch {}/__init__.py \;
