#!/usr/bin/env bash
# The main job on examples/: validate the templates, then print the build plan.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=(node dist/cli/index.js)
echo "== build-image validate examples"
"${cli[@]}" validate examples
echo
echo "== build-image plan examples"
"${cli[@]}" plan examples
