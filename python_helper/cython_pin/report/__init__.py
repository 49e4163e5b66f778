"""What a build tells the user: diagnostics (Cython's and the C compiler's), the annotation, and the build
result."""
