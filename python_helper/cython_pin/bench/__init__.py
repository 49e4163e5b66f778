"""``python -m cython_pin.bench``: cython_pin against Cython's own ``%%cython`` magic, side by side.

Never imported by ``cython_pin`` itself. See :mod:`cython_pin.bench.run`.
"""
