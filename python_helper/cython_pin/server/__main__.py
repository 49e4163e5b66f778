"""``python -m cython_pin.server``: run the build server for the identity given on the command line."""

from .daemon import main

if __name__ == "__main__":
    main()
