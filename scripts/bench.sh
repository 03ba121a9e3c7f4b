#!/usr/bin/env bash
# Benchmarks jerahook against peer validators on this machine; see scripts/bench.py --help.
set -euo pipefail
exec python3 "$(dirname "$0")/bench.py" "$@"
