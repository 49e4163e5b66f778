"""Regenerate examples/quickstart.ipynb (no outputs): `.venv/bin/python scripts/dev/make_quickstart.py`."""

from pathlib import Path

import nbformat
from ipykernel.ipkernel import IPythonKernel
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

md, code = new_markdown_cell, new_code_cell
cells = [
    md(
        "# jupyterlab-cython-pin quickstart\n\n"
        "Compile Cython cells with **cached, content-addressed builds**, give builds a name (a *pin*), and get "
        "them back after a restart without recompiling.\n\n"
        "* Run a cell with the **Compile** button in the cell toolbar (or `Ctrl+Alt+B`), or start it with "
        "`%%cython_pin` and run it as usual.\n"
        "* The result shows the build key, the module name, the timings, and a **Pin as…** button.\n"
        "* The **Cython Pins** panel (pin tab in the right sidebar, or *View → Open Cython Pin Manager*) lists pins and the cache."
    ),
    md(
        "The extension loads the helper in the kernel for you. In a plain Jupyter/IPython session, load it yourself "
        "(running it twice is harmless):"
    ),
    code("%load_ext cython_pin"),
    md(
        "## 1. Compile\n`%%cython_pin` hashes the cell and its options; an identical cell later is a cache hit "
        "(no compile). `%%cython_pin square` also pins the build under the alias `square` (an optional first argument; add `--overwrite` to re-point it after editing the cell)."
    ),
    code("%%cython_pin square\ndef square(int n):\n    return n * n"),
    code("square(12)"),
    md(
        "## 2. Pins\nPins map an alias to a build key, stored in the cache directory. You can also pin from a "
        "result's **Pin as…** button, and rename or unpin in the Cython Pins panel."
    ),
    code("import cython_pin\ncython_pin.list_pins()"),
    # scripts/check-examples restarts the kernel at this tag, as the text asks the user to.
    new_markdown_cell(
        "## 3. Restart, then import by alias\nRestart the kernel (**Kernel → Restart Kernel…**) and run the next "
        "cell: the module is loaded from the cache, nothing is compiled.",
        metadata={"tags": ["restart-kernel"]},
    ),
    code(
        "%load_ext cython_pin\n"
        "# ^ a restart forgets loaded extensions: JupyterLab's extension reloads it, elsewhere this line does\n"
        "from cython_pin import import_pinned_result\n\n"
        'r = import_pinned_result("square")\n'
        'print(r.module_name, r.key[:16], "used_cache =", r.used_cache)\n'
        "r.module.square(12)"
    ),
    md(
        "## 4. A compile error\nThe build fails, so the cell fails: the result lists each diagnostic with its line "
        "in the cell, and the editor marks that line."
    ),
    new_code_cell(
        '%%cython_pin\ndef broken(int n):\n    cdef int x = "not an int"\n    return x + n',
        metadata={"tags": ["raises-exception"]},
    ),
    md(
        "## 5. Annotation\n`--annotate` shows which lines call into the Python C-API (darker = more Python "
        "interaction); click a line to see the C code it became."
    ),
    code(
        "%%cython_pin --annotate\n"
        "def total(int n):\n"
        "    cdef long s = 0\n"
        "    cdef int i\n"
        "    for i in range(n):\n"
        "        s += i * i\n"
        "    return s"
    ),
    code("total(1000)"),
    md(
        "## 6. NumPy: a typed memoryview\nTyped memoryviews read NumPy arrays without copies; the `release` profile "
        "turns off bounds checks and uses `-O3`."
    ),
    code(
        "%%cython_pin --profile release\n"
        "def mean_of(double[:] x):\n"
        "    cdef Py_ssize_t i, n = x.shape[0]\n"
        "    cdef double s = 0\n"
        "    for i in range(n):\n"
        "        s += x[i]\n"
        "    return s / n if n else 0.0"
    ),
    code(
        "import numpy as np\n\n"
        "a = np.random.default_rng(0).random(1_000_000)\n"
        "print(mean_of(a), a.mean())\n"
        "assert abs(mean_of(a) - a.mean()) < 1e-9"
    ),
    md(
        "## 7. The cache\nBuilds live in `cython_pin.get_cache_dir()` (set `CYTHON_PIN_CACHE_DIR` to move it). "
        "`gc_cache` removes old builds but never pinned ones."
    ),
    code("import cython_pin\n\nprint(cython_pin.get_cache_dir())\ncython_pin.cache_stats()"),
    code("cython_pin.gc_cache(keep_n_newest=20, dry_run=True)"),
]
nb = new_notebook(
    cells=cells,
    metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        # What ipykernel reports: JupyterLab writes the kernel's language_info into the notebook when it
        # differs, so anything less makes the demo open modified (and autosave rewrite it).
        "language_info": IPythonKernel.language_info,
    },
)
for i, c in enumerate(nb.cells):
    c["id"] = f"quickstart-{i:02d}"
nbformat.validate(nb)
out = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"
nbformat.write(nb, out)
print("wrote", out)
