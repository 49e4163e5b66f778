"""The per-user build server: one warm process per (user, cache, interpreter, package version) that runs
every cold build of that user's kernels, so kernels never import Cython's compiler.

- protocol.py  JSON lines on a Unix socket, the server's identity, where its socket lives
- daemon.py    the server process (``python -m cython_pin.server``): accepts, schedules, forks one child
               per build from its warm state, forwards the child's stages and result
- runner.py    what a build child does: remake the Job, build it (or build it ahead), report
- client.py    the kernel's side: connect or start, send a Job, relay stages, re-raise its BuildError
"""
