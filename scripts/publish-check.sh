#!/usr/bin/env bash
# Checks that the crate publishes: `cargo publish --dry-run` packages it as crates.io would get
# it, builds that package on its own, and stops before uploading. tests/package.rs checks which
# files the package holds; this checks that they are enough to build. Needs crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."

dirty=()
if [ -n "$(git status --porcelain)" ]; then
    # Uncommitted changes would stop cargo; they are part of what is being checked.
    echo "note: the work tree has uncommitted changes; packaging it as it stands" >&2
    dirty=(--allow-dirty)
fi
cargo publish --dry-run --locked "${dirty[@]}"
