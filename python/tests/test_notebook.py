"""examples/busi_study.ipynb: committed without outputs, and it runs from start to end.

The notebook is executed with nbclient on a `python3` kernel of this interpreter (ipykernel is
installed beside the wheel; the kernelspec's `python` is this venv's), so it imports the installed
package. The kernel works in a temporary folder and finds the repository's data through
SONORAD_REPO; its Jupyter, IPython and matplotlib state and the study folder it writes (through
TMPDIR) stay in pytest's temporary folder. Any cell error fails the test.
"""
import os

import nbformat
from nbclient import NotebookClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NOTEBOOK = os.path.join(ROOT, "examples", "busi_study.ipynb")
STRIP = ("python -c \"import nbformat as n; b = n.read('examples/busi_study.ipynb', 4); "
         "[c.update(outputs=[], execution_count=None) for c in b.cells if c.cell_type == 'code']; "
         "[c.metadata.pop('execution', None) for c in b.cells]; n.write(b, 'examples/busi_study.ipynb')\"")


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for number, cell in enumerate(notebook.cells, 1):
        where = f"cell {number} ({cell.get('id')}); strip with {STRIP}"
        assert "execution" not in cell.metadata, where
        if cell.cell_type == "code":
            assert cell.outputs == [], where
            assert cell.execution_count is None, where
    assert notebook.metadata.kernelspec.name == "python3"


def test_notebook_runs_against_the_installed_package(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    for name in ("runtime", "ipython", "matplotlib", "tmp"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("SONORAD_REPO", ROOT)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # the ROC curves, the nomogram and the texture-map figure
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3
    text = "".join(o.get("text", "") for o in outputs)
    assert "6 cases, 204 feature columns, 0 failed" in text
    assert "647 cases, 102 features" in text
    # the study went into the kernel's TMPDIR, with the figures the notebook shows
    studies = list((tmp_path / "tmp").glob("busi-study-*"))
    assert len(studies) == 1
    for figure in ("roc_validation.png", "nomogram.png"):
        assert (studies[0] / "figures" / figure).is_file()
