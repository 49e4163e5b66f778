"""Building: the Cython pass, the C compiler, precompiled headers, PGO, the shared utility module,
options, the toolchain and stage reports."""
