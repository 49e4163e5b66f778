"""Reliability suite (a package, so its modules import ``relutil`` relatively)."""
