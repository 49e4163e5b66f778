"""``python -m benchmarks`` (run from the repository root): cython_pin against Cython's ``%%cython``.

Every figure is measured for both in the same run, on the same source, each sample in a fresh process with a
fresh cache directory (``CYTHON_PIN_CACHE_DIR`` for ours; ``IPYTHONDIR`` and ``XDG_CACHE_HOME`` for the
magic, whose build folder is ``get_ipython_cache_dir()/cython``). Times inside a process are taken there with
``time.perf_counter()`` and reported as JSON on stdout; whole-process figures are timed by the parent around
the process. CPU time (user + system, including the C compiler) is recorded next to every wall time, because
other work on a shared machine inflates wall times in whole scheduler ticks while it barely moves CPU time.

Figures: P1 cache hit in a fresh kernel process (the call alone), P2 whole process on a hit, P3 cold tiny
build in a whole fresh process (fast-debug), P3w a new source in a warm process (the second cell), P3b cold
300-line numeric module (release), P4 import_pinned / pin / list_pins (10,000 pins), P5 four processes
building the same new source at once, P6/P7/P8 the browser figures (from the end-to-end tests, if they
wrote ``test-output/e2e/perf.json`` / ``perf-ahead.json``: ``{"P6_ms": [...], ...}``). A "kernel
process" has ipykernel's modules imported and an IPython shell, as a fresh kernel has before its first cell.

Output: issue 12's target table, then a table of every figure's medians, ratios (ours / magic) and targets,
the same for CPU time, what a cache hit imports, the cache entry's size on disk, and ``bench-results.json``
(``--out``) with every raw number.
It is a benchmark, not a test: nothing in the test suite asserts on timings.

It measures the installed ``cython_pin`` (``scripts/build`` installs the wheel into ``.venv``) and writes
no ``.pyc`` into it. Not shipped in any wheel. See :mod:`benchmarks.run`.
"""
