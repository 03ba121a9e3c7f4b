#!/usr/bin/env bash
# Tries .pre-commit-hooks.yaml as a user meets it: pre-commit, from PyPI in a venv under
# target/, installs the jerahook-validate hook from this checkout (with its uncommitted changes to
# tracked or staged files, as `pre-commit try-repo` takes them) and runs it on a new git repository. With one valid payload and a file the hook's `files`
# pattern leaves out, the hook must pass; with an invalid payload added, it must fail and name
# that file. Not part of `cargo test`: it needs PyPI and builds jerahook with `cargo install`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv=$root/target/pre-commit-venv
if [ ! -x "$venv/bin/pre-commit" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pre-commit
fi
pre_commit=$venv/bin/pre-commit

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A fresh pre-commit cache, so the hook is built from this checkout, not an earlier run's.
export PRE_COMMIT_HOME=$work/cache
# pre-commit runs `cargo install --path .`; these keep that build quick and incremental across
# runs (they change how fast the binary is, not what it does).
export CARGO_TARGET_DIR=$root/target/pre-commit-build
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0
export CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256

repo=$work/repo
git init --quiet "$repo"
cp samples/clients.create.json "$repo/valid.json"
echo 'not a payload: the hook must not be given this file' >"$repo/notes.txt"

try_hook() {
    (cd "$repo" && git add --all && "$pre_commit" try-repo "$root" jerahook-validate --all-files --verbose)
}

echo "== valid.json and notes.txt: the hook must pass"
if ! try_hook >"$work/pass.log" 2>&1; then
    cat "$work/pass.log"
    echo "FAIL: the hook failed on a valid payload" >&2
    exit 1
fi
grep -q 'valid.json' "$work/pass.log" || { cat "$work/pass.log"; echo "FAIL: valid.json not checked" >&2; exit 1; }
if grep -q 'notes.txt' "$work/pass.log"; then
    cat "$work/pass.log"
    echo "FAIL: the hook was given notes.txt" >&2
    exit 1
fi
echo "passed"

echo "== with captured.ndjson (valid and invalid payloads) added: the hook must fail"
cp tests/fixtures/mixed.ndjson "$repo/captured.ndjson"
status=0
try_hook >"$work/fail.log" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
    cat "$work/fail.log"
    echo "FAIL: the hook passed an invalid payload" >&2
    exit 1
fi
grep -q '✗ captured.ndjson:2 ' "$work/fail.log" || { cat "$work/fail.log"; echo "FAIL: captured.ndjson not reported" >&2; exit 1; }
grep -q 'Failed' "$work/fail.log" || { cat "$work/fail.log"; echo "FAIL: pre-commit did not report the hook as failed" >&2; exit 1; }
echo "failed as it should (pre-commit exit $status):"
grep -E '^(✗ |  captured)' "$work/fail.log"
echo "pre-commit check passed"
