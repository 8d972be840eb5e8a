"""The package under test is the manylinux abi3 wheel, installed by pip into a fresh venv with
no Rust toolchain reachable (python/run_tests.sh builds the wheel and sets SONORAD_WHEEL)."""
import importlib.metadata
import os
import pathlib
import shutil

import pytest


def test_installed_from_the_manylinux_abi3_wheel_without_rust():
    wheel = os.environ.get("SONORAD_WHEEL")
    if wheel is None:
        pytest.skip("run by python/run_tests.sh, which builds and installs the wheel")
    assert shutil.which("cargo") is None and shutil.which("rustc") is None, os.environ["PATH"]
    import sonorad._sonorad

    module = pathlib.Path(sonorad._sonorad.__file__)
    assert "site-packages" in module.parts, module
    assert module.name == "_sonorad.abi3.so", module
    tags = [line.split(": ", 1)[1] for line in
            importlib.metadata.distribution("sonorad").read_text("WHEEL").splitlines()
            if line.startswith("Tag: ")]
    assert tags and all(t.startswith("cp39-abi3-manylinux") for t in tags), tags
    assert importlib.metadata.version("sonorad") in pathlib.Path(wheel).name
