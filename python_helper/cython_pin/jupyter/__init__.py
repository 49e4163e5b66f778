"""The Jupyter-facing half of cython_pin: the ``%%cython_pin`` magic, the comm bridge to the extension, the
protocol's messages and op handlers, and the display bundle. The core package never imports this."""
