"""Reliability suite (a package so its conftest does not shadow python_helper/tests/conftest.py)."""
