"""Pins: stable aliases for cache keys, and the rules they follow."""
