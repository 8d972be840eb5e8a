"""The Python examples of the guide (`docs/src/*.md`) and the README, run against the installed
package as a reader runs them: the ```python blocks of a page in order, in one fresh Python
process, in a folder where the repository's `tests/`, `examples/` and `docs/` are linked in (so
the bundled sample's paths work as printed), with the `sonorad` command on the PATH. A
```text,output block right after a block gives lines its output must hold, in order. Blocks
marked after the language (```python,synopsis, ,needs-cluster, ...) do not run; the test
reports them. The shell examples run in tests/guide_examples.rs, which documents the marks."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FENCE = re.compile(r"^```(.*)$")


def _blocks(path):
    """(language, marks, line, text, output) of each fenced block of a page; output is the text
    of a ```text,output block right after it, or None."""
    found, lines, i = [], open(path, encoding="utf-8").read().split("\n"), 0
    since_block = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            since_block += bool(lines[i].strip())
            i += 1
            continue
        words = [w.strip() for w in match.group(1).split(",")]
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        text = "\n".join(body) + "\n"
        if words[0] == "text" and "output" in words[1:] and found and since_block == 0:
            found[-1][4] = text
        else:
            found.append([words[0], words[1:], start, text, None])
        since_block = 0
    return found


def _pages():
    docs = os.path.join(ROOT, "docs", "src")
    return [os.path.join(ROOT, "README.md")] + sorted(
        os.path.join(docs, name) for name in os.listdir(docs) if name.endswith(".md"))


def _python_pages():
    """The pages with a runnable Python example."""
    return [p for p in _pages() if any(b[0] == "python" and not b[1] for b in _blocks(p))]


def _page_ids():
    return [os.path.relpath(p, ROOT) for p in _python_pages()]


def _workspace(tmp_path):
    for linked in ("tests", "examples", "docs"):
        os.symlink(os.path.join(ROOT, linked), tmp_path / linked)
    return tmp_path


def _environment():
    """The test's environment with the `sonorad` command of this checkout first on the PATH."""
    env = dict(os.environ)
    binary = os.environ.get("SONORAD_BIN")
    if binary:
        env["PATH"] = os.path.dirname(os.path.abspath(binary)) + os.pathsep + env.get("PATH", "")
    return env


def _check_output(place, shown, output):
    """Each non-empty line the page shows appears, in order, within a line of the output."""
    actual = iter(output.splitlines())
    for expected in (line.strip() for line in shown.splitlines()):
        if expected and not any(expected in line for line in actual):
            pytest.fail("%s: the page shows %r, which the output lacks (in order):\n%s"
                        % (place, expected, output))


def test_python_examples_not_run_here():
    """Lists (as this test's skip reason, which the test report prints) every marked Python
    block with its mark; fails on a mark that is not one of the known reasons."""
    known = {"synopsis", "install", "needs-cluster", "needs-gpu", "needs-slurm", "needs-busi-archive"}
    marked = [(os.path.relpath(p, ROOT), b[2], b[1]) for p in _pages() for b in _blocks(p)
              if b[0] == "python" and b[1]]
    unknown = [m for m in marked if not set(m[2]) <= known]
    assert not unknown, "unknown marks: %s" % unknown
    assert len(_python_pages()) >= 3
    pytest.skip("Python examples not run here: " + "; ".join(
        "%s:%d (%s)" % (page, line, ",".join(marks)) for page, line, marks in marked))


@pytest.mark.parametrize("page", _python_pages(), ids=_page_ids())
def test_python_examples_of_the_page_run(page, tmp_path):
    runnable = [b for b in _blocks(page) if b[0] == "python" and not b[1]]
    folder = _workspace(tmp_path)
    env = _environment()
    # one process per page, each block's output separated by a marker line
    marker = "----8<---- block end ----8<----"
    script = "".join(b[3] + "\nprint(%r, flush=True)\n" % marker for b in runnable)
    run = subprocess.run([sys.executable, "-u", "-c", script], cwd=str(folder), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    place = os.path.relpath(page, ROOT)
    if run.returncode != 0:
        pytest.fail("%s: the examples failed (exit %d):\n%s" % (place, run.returncode, run.stdout))
    outputs = run.stdout.split(marker + "\n")
    for block, output in zip(runnable, outputs):
        if block[4] is not None:
            _check_output("%s:%d" % (place, block[2]), block[4], output)
