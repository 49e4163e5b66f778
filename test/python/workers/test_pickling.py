"""A build's functions, classes, instances and modules unpickled in fresh processes ("nodes"): the shared
cache, a compiler and nothing else, neither (the error names the build), a tampered recipe or entry refused,
pins travelling by key, and what Python start-up imports."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zlib

import cloudpickle
import cython_pin
import pytest
from conftest import CACHE, Node, expected, source
from cython_pin.workers import tracking


def _build(tag: str, **opts: object):  # noqa: ANN202
    return cython_pin.compile_and_load_result(source(tag), **opts)


@pytest.mark.parametrize("named", [False, True])
def test_function_instance_class_and_module_load_from_the_shared_cache(named: bool) -> None:
    tag = f"shared-{named}"
    res = _build(tag, module_name="workers_named_mod" if named else None)
    m = res.module
    node = Node(shared_cache=True, compiler=False)
    both = node.unpickle(pickle.dumps((m.f, m.Acc(5))), "[obj[0](7), obj[1].add(2), type(obj[1]).__module__]")
    assert both["value"] == [expected(tag), 7, m.__name__], both
    assert not both["cython_imported"]  # a cache hit never imports Cython
    assert node.compiler_runs() == 0
    instance = node.unpickle(pickle.dumps(m.Acc(3)), "obj.add(4)")  # through Cython's __pyx_unpickle_Acc
    assert instance["value"] == 7, instance
    method = node.unpickle(cloudpickle.dumps(m.Box.__init__), "obj.__qualname__", "cloudpickle")
    assert method["value"] == "Box.__init__", method
    if not named:  # alone, a class or module has only its name: found by the start-up hook in the cache
        cls = node.unpickle(pickle.dumps(m.Acc), "obj(2).add(1)")
        assert cls["value"] == 3, cls
        mod = node.unpickle(cloudpickle.dumps(m), "obj.f(1)", "cloudpickle")
        assert mod["value"] == expected(tag, 1), mod


def test_a_notebook_function_calling_the_cell_travels_by_value_with_cloudpickle() -> None:
    m = _build("notebook").module
    ns: dict[str, object] = {"__name__": "__main__", "f": m.f}  # as a function defined in a notebook cell
    exec("def work(x):\n    return f(x) * 2\n", ns)
    out = Node(shared_cache=True, compiler=False).unpickle(
        cloudpickle.dumps(ns["work"]), "obj(7)", "cloudpickle"
    )
    assert out["value"] == 2 * expected("notebook"), out


def test_reference_carries_key_name_aliases_and_recipe() -> None:
    res = _build("reference")
    cython_pin.pin(res.key, alias="workers_ref_alias")
    fn = res.module.f
    key, name, root, path = tracking.find(fn)  # type: ignore[misc]
    assert (key, name, root, path) == (res.key, res.module_name, CACHE, "f")
    data = pickle.dumps(fn)
    assert res.key.encode() in data and b"_cython_pin_import_hook" in data
    ref = pickle.loads(data) and tracking.reference(key, name, root)
    assert ref[1:4] == (res.key, res.module_name, ("workers_ref_alias",))
    assert b"def f(int n)" in zlib.decompress(ref[4])
    assert pickle.loads(data) is fn  # in the building process, the very same function
    assert pickle.dumps(len) == pickle.dumps(len)  # other objects pickle as before


def test_a_node_with_only_a_compiler_rebuilds_from_the_recipe() -> None:
    res = _build("compiler-only")
    node = Node(compiler=True)
    out = node.unpickle(pickle.dumps(res.module.f), "obj(7)")
    assert out["value"] == expected("compiler-only"), out
    assert node.compiler_runs() >= 1
    assert os.path.isfile(os.path.join(node.cache, res.key, "meta.json"))  # rebuilt under the same key
    again = node.unpickle(pickle.dumps(res.module.Acc(1)), "obj.add(1)")  # now a cache hit there
    assert again["value"] == 2 and not again["cython_imported"], again


def test_a_node_rebuilds_an_openmp_build_with_openmp() -> None:
    src = "# on a node\ncimport openmp\n\ndef max_threads():\n    return openmp.omp_get_max_threads()\n"
    res = cython_pin.compile_and_load_result(src)
    node = Node(compiler=True)
    out = node.unpickle(pickle.dumps(res.module.max_threads), "obj()")  # libgomp linked, or the load fails
    assert isinstance(out.get("value"), int) and out["value"] >= 1, out
    assert os.path.isfile(os.path.join(node.cache, res.key, "meta.json"))  # the recipe gave the same key


def test_a_node_with_neither_gets_an_error_naming_the_build() -> None:
    res = _build("neither")
    cython_pin.pin(res.key, alias="workers_neither")
    node = Node(compiler=False)
    out = node.unpickle(pickle.dumps(res.module.f), "obj(7)")
    assert out["error"] == "BuildUnavailableError", out
    msg = out["message"]
    for part in (res.module_name, res.key[:16], "'workers_neither'", "register(client)", "CYTHON_PIN_REMOTE"):
        assert part in msg, msg
    assert "this node may not compile" in msg or "failed" in msg
    cls = node.unpickle(pickle.dumps(res.module.Acc), "obj")  # the name alone
    assert cls["error"] == "BuildUnavailableError" and res.module_name in cls["message"], cls


def _forged(ref: tuple, path: str) -> bytes:
    """A pickle that names ``ref`` as a build's function would."""

    class Forged:
        def __reduce__(self):  # noqa: ANN204
            import _cython_pin_import_hook as hook

            return hook.load_global, (ref, path)

    return pickle.dumps(Forged())


def test_a_tampered_recipe_is_refused_before_compiling() -> None:
    res = _build("tampered-recipe")
    key, name, root, path = tracking.find(res.module.f)  # type: ignore[misc]
    ref = tracking.reference(key, name, root)
    recipe = zlib.decompress(ref[4]).replace(b"return n * 6", b"return n * 9")
    forged = (ref[0], ref[1], ref[2], ref[3], zlib.compress(recipe))
    node = Node(compiler=True)
    out = node.unpickle(_forged(forged, path), "obj(7)")
    assert out["error"] == "BuildUnavailableError" and "recipe was refused" in out["message"], out
    assert node.compiler_runs() == 0 and not os.path.isdir(os.path.join(node.cache, key))
    garbage = (ref[0], ref[1], ref[2], ref[3], b"not a recipe")
    out = node.unpickle(_forged(garbage, path), "obj(7)")
    assert "recipe was refused" in out["message"], out


def test_a_reference_naming_another_module_for_its_key_is_refused() -> None:
    res = _build("wrong-name")
    key, name, root, path = tracking.find(res.module.f)  # type: ignore[misc]
    ref = tracking.reference(key, name, root)
    forged = (ref[0], ref[1], "json_lookalike", ref[3], None)
    out = Node(shared_cache=True, compiler=False).unpickle(_forged(forged, path), "obj(7)")
    assert out["error"] == "BuildUnavailableError" and "not of json_lookalike" in out["message"], out


def test_a_tampered_entry_is_refused(tmp_path: os.PathLike[str]) -> None:
    res = _build("tampered-entry")
    node = Node(compiler=False)
    import shutil

    shutil.copytree(os.path.join(CACHE, res.key), os.path.join(node.cache, res.key))
    so = os.path.join(node.cache, res.key, os.path.basename(res.artifact_path))
    with open(so, "r+b") as f:
        f.seek(-16, 2)
        f.write(b"\0" * 16)
    out = node.unpickle(pickle.dumps(res.module.f), "obj(7)")
    assert out["error"] == "BuildUnavailableError" and "refused" in out["message"], out
    assert "sha256" in out["message"]


def test_pins_travel_by_key() -> None:
    a = _build("pin-a")
    b = _build("pin-b")
    cython_pin.pin(a.key, alias="workers_moving", overwrite=True)
    f = cython_pin.import_pinned("workers_moving").f
    data = pickle.dumps(f)
    cython_pin.pin(b.key, alias="workers_moving", overwrite=True)  # re-pointed after the task was made
    out = Node(shared_cache=True, compiler=False).unpickle(data, "obj(7)")
    assert out["value"] == expected("pin-a"), out


def test_python_start_up_imports_nothing_of_cython_pin() -> None:
    code = (
        "import sys; print(sorted(m for m in sys.modules if 'cython' in m.lower()), "
        "sys.meta_path[-1].__name__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed wheel's .pth alone
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert p.stdout.strip() == "[] CythonPinStartupFinder", p.stdout + p.stderr
