"""cython_pin's import hook: any process can import a cython_pin build by its module name.

Its :class:`BuildFinder` (last on ``sys.meta_path``) answers only for a module name no other finder
found: a default name ``cython_pin_<16 hex>``, or a name a pickled reference registered in this process (a
``-n NAME`` build); it imports nothing of cython_pin until then. Pickled functions of a build name
:func:`load_global`, so an unpickling process imports this module (and installs the finder). At start-up the
wheel's ``cython_pin_import_hook.pth`` adds a one-line finder that imports this module only when a default
name is imported (a class or module pickled alone). It lives outside the cython_pin package so that neither
ever imports the package itself before a build is met.
"""

import sys

_PREFIX = "cython_pin_"
_HEX = frozenset("0123456789abcdef")

# module name -> the build reference last registered for it in this process (see cython_pin.workers)
names: dict[str, object] = {}


def is_default_name(name: str) -> bool:
    """True for ``cython_pin_`` + 16 lowercase hex digits (a build's default module name)."""
    return len(name) == 27 and name.startswith(_PREFIX) and _HEX.issuperset(name[11:])


class BuildFinder:
    """A ``sys.meta_path`` finder, last in line: it answers only for build names."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> object:
        if path is not None or (name not in names and not is_default_name(name)):
            return None
        from cython_pin.workers.resolve import find_spec

        return find_spec(name, names.get(name))

    @staticmethod
    def invalidate_caches() -> None:
        pass


def install() -> None:
    """Put :class:`BuildFinder` at the end of ``sys.meta_path`` (once)."""
    finders: list[object] = [*sys.meta_path]
    if BuildFinder not in finders:
        sys.meta_path.append(BuildFinder)  # type: ignore[arg-type]


def load_global(reference: object, path: str) -> object:
    """What a pickled function of a build calls in the unpickling process: the object at ``path`` in the
    build ``reference`` names (see ``cython_pin.workers.resolve.load_global``)."""
    from cython_pin.workers.resolve import load_global as load

    return load(reference, path)


install()
