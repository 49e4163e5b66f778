"""Build ahead: a cell's source is built in the user's build server while the user types, so that running
it is a cache hit. No IPython here: the jupyter half (jupyter/prebuild.py) turns a cell into a request and
this family runs it.

- build.py      the build itself: the entry for a source, under its key lock, never loaded
- scheduler.py  the kernel's side: one build at a time, one pending slot, supersede per cell; the builds
                go to the build server (cython_pin.server), niced, behind every foreground build
"""
