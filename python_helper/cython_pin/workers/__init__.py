"""Compiled builds where the work goes: worker processes, joblib, Dask. A build's functions pickle as a
reference by key (plus a recipe to rebuild it), which any process with cython-pin installed resolves: local
cache, team cache, a rebuild from the recipe, or the copy a Dask cluster received through ``register``."""
