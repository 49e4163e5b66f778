"""Build ahead: a cell's source is built in a background worker process while the user types, so that
running it is a cache hit. No IPython here: the jupyter half (jupyter/prebuild.py) turns a cell into a
request and this family runs it.

- build.py      the build itself: the entry for a source, under its key lock, never loaded
- worker.py     the worker process: long-lived, low priority, Cython imported up front; JSON lines on pipes
- scheduler.py  the kernel's side: one worker, one build at a time, one pending slot, supersede per cell
"""
