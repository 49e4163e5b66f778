"""The local content-addressed cache: where it lives, keys, entries, locks, atomic writes, the catalogue
and its clean-up, export/import, and loading built modules."""
