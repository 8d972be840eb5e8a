#!/usr/bin/env bash
# Builds the Python package as users get it — a manylinux abi3 wheel (one wheel for CPython
# 3.9 and later on any x86_64 Linux with glibc 2.17 or newer) — installs it into a fresh venv,
# and runs its tests (python/tests) there with no Rust toolchain reachable, against the
# `sonorad` binary of the same checkout. Used by tests/python.rs (cargo test).
#
# The wheel is built with maturin through zig (`--zig`, zig from the `ziglang` package), which
# links against glibc 2.17's symbols: a plain build on this machine would need the build
# machine's glibc (2.36 on Debian 12), which Ubuntu 22.04 (2.35) and most clusters lack.
# It is left in target/wheels/, where the README's `pip install` finds it.
#
# Environment: SONORAD_BIN (the binary), PYTHON_VENV (default target/python-venv, recreated).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_venv=$root/target/python-build-venv
venv=${PYTHON_VENV:-$root/target/python-venv}
wheels=$root/target/wheels
pip_quiet=(-q --disable-pip-version-check)

# exit status 77: this machine cannot set up a venv (no python3 venv module, no package
# index); tests/python.rs reports that as a skip unless SONORAD_REQUIRE_PYTHON=1
if [[ ! -x "$build_venv/bin/python" ]]; then
    python3 -m venv "$build_venv" || exit 77
fi
"$build_venv/bin/pip" install "${pip_quiet[@]}" "maturin>=1.5,<2" ziglang || exit 77

# 1. the wheel (its own target folder: the cdylib needs other flags than the command line's)
rm -rf "$wheels" && mkdir -p "$wheels"
(cd "$root/python" && PATH="$build_venv/bin:$PATH" CARGO_TARGET_DIR="$root/python/target" \
    maturin build --release --quiet --zig --compatibility manylinux_2_17 --out "$wheels")
wheel=$(ls "$wheels"/sonorad-*.whl)
case $(basename "$wheel") in
    sonorad-*-cp39-abi3-manylinux*_x86_64*.whl) echo "wheel: $(basename "$wheel")" ;;
    *) echo "not a manylinux abi3 wheel: $wheel" >&2; exit 1 ;;
esac

# 2. a fresh venv with the wheel, as `pip install` gives it to a user (dependencies from the
# index), and the test tools (nbclient, nbformat, ipykernel and matplotlib run
# examples/busi_study.ipynb on this venv's python3 kernel: test_notebook.py)
rm -rf "$venv"
python3 -m venv "$venv" || exit 77
"$venv/bin/pip" install "${pip_quiet[@]}" "$wheel" || exit 77
"$venv/bin/pip" install "${pip_quiet[@]}" pytest pillow "dask[distributed,dataframe]" SimpleITK \
    nbclient nbformat ipykernel matplotlib || exit 77

# 3. the tests, from outside the source tree (so the installed package is imported), in an
# environment with no Rust: PATH holds the venv and a folder of the few system tools the tests
# use, HOME is empty; test_installed_wheel checks that cargo and rustc are out of reach
tools=$(mktemp -d)
home=$(mktemp -d)
trap 'rm -rf "$tools" "$home"' EXIT
for tool in sh bash env cat ls; do
    ln -s "$(command -v "$tool")" "$tools/$tool"
done
cd "$root/python/tests"
# -rs: each skipped test's reason, which tests/python.rs prints
env -i HOME="$home" PATH="$venv/bin:$tools" TMPDIR="${TMPDIR:-/tmp}" LANG=C.UTF-8 \
    SONORAD_BIN="$SONORAD_BIN" SONORAD_WHEEL="$wheel" \
    ${SONORAD_REQUIRE_GPU:+SONORAD_REQUIRE_GPU="$SONORAD_REQUIRE_GPU"} \
    ${SONORAD_FUZZ_SECONDS:+SONORAD_FUZZ_SECONDS="$SONORAD_FUZZ_SECONDS"} \
    "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$root/python/tests" "$@"
