#!/usr/bin/env bash
# Builds the Python package's wheel, installs it into a venv and runs its tests (python/tests)
# against the `sonorad` binary of the same checkout. Used by tests/python.rs (cargo test).
# Environment: SONORAD_BIN (the binary), PYTHON_VENV (default target/python-venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${PYTHON_VENV:-$root/target/python-venv}
# exit status 77: this machine cannot set up the venv (no python3 venv module, no package
# index); tests/python.rs reports that as a skip unless SONORAD_REQUIRE_PYTHON=1
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" || exit 77
fi
"$venv/bin/pip" install -q --disable-pip-version-check maturin numpy pandas pytest pillow tqdm "dask[distributed]" SimpleITK || exit 77
# the wheel in release mode (its own target folder: the cdylib needs other flags than the
# command line's build), installed into the venv as a user's `pip install` would
wheels=$(mktemp -d)
(cd "$root/python" && CARGO_TARGET_DIR="$root/python/target" \
    "$venv/bin/maturin" build --release --quiet --interpreter "$venv/bin/python" --out "$wheels")
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/*.whl
rm -rf "$wheels"
# run from outside the source tree, so that the installed package is the one imported
cd "$root/python/tests"
# -rs: each skipped test's reason, which tests/python.rs prints
"$venv/bin/python" -m pytest -q -rs "$root/python/tests" "$@"
