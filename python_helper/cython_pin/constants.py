"""Names and values of the contract with the extension, defined once on the Python side.

protocol/cython-pin.schema.json holds the same values; a test compares the two.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
COMM_TARGET = "cython_pin"
MIME_TYPE = "application/vnd.cython-pin.build+json"
EVENTS = ("pins_changed", "cache_changed", "prebuild_state", "build_progress")

PROFILES = ("fast-debug", "release", "annotate")
DEFAULT_PROFILE = "fast-debug"
SEVERITIES = ("error", "warning", "note")
DIAGNOSTIC_SOURCES = ("cython", "compiler", "linker", "helper")
# A BuildResult's timings carry these stages; its JSON adds "total". wait: for the key lock (another build
# of the same source); fetch: the team cache's lookup and download; shared: waiting for Cython's shared
# utility module built beside the build; rebuild: the first build, redone with numpy's headers.
TIMING_KEYS = ("hash", "wait", "fetch", "cythonize", "compile", "shared", "rebuild", "load")
# The stages older helpers did not report: optional in the contract (0 when absent).
OPTIONAL_TIMING_KEYS = ("wait", "fetch", "shared", "rebuild")
# The stages of a build ahead (prebuild_state events) and of a build the user waits for (build_progress).
PREBUILD_STAGES = ("cython", "done", "failed", "cancelled")
BUILD_STAGES = ("waiting", "cython", "compile", "link")
# Build ahead (the prebuild op) skips cells longer than this: a big module's background build would hold a
# CPU for long while the user is still typing, and it is built when run anyway.
PREBUILD_MAX_SOURCE_CHARS = 200_000
