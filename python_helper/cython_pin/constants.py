"""Names and values of the contract with the extension, defined once on the Python side.

protocol/cython-pin.schema.json holds the same values; a test compares the two.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
COMM_TARGET = "cython_pin"
MIME_TYPE = "application/vnd.cython-pin.build+json"
EVENTS = ("pins_changed", "cache_changed")

PROFILES = ("fast-debug", "release", "annotate")
DEFAULT_PROFILE = "fast-debug"
SEVERITIES = ("error", "warning", "note")
DIAGNOSTIC_SOURCES = ("cython", "compiler", "linker", "helper")
# A BuildResult's timings carry these stages; its JSON adds "total".
TIMING_KEYS = ("hash", "cythonize", "compile", "load")
