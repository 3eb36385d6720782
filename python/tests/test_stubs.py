"""The .pyi stub lists every public name with the extension's parameters; every public name has a
docstring beyond its signature."""
import ast
import inspect
import os

import pytest

import predsense as ps
from stubgen import REGISTRY_FUNCTIONS, parse_signature, registry_function, registry_params

STUB = os.path.join(os.path.dirname(ps.__file__), "_core.pyi")


def stub_tree():
    with open(STUB) as f:
        return ast.parse(f.read())


def stub_params(fn):
    a = fn.args
    out = []
    pos = a.posonlyargs + a.args
    defaults = [None] * (len(pos) - len(a.defaults)) + list(a.defaults)
    for arg, d in zip(pos, defaults):
        if arg.arg != "self":
            out.append((arg.arg, d is not None, False))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((arg.arg, d is not None, True))
    return out


def registry_expected(obj):
    """A class or function built from the registry: its parameters are the registry's."""
    if inspect.isclass(obj):
        params, _ = registry_params(*obj.__registry__)
    else:
        params, _ = registry_function(obj.__name__)
    return [(p, d is not None, kw) for p, _, d, kw in params]


def runtime_params(doc, method):
    name, params, _ = parse_signature(doc)
    if method and params and not isinstance(method, staticmethod):
        params = params[1:]
    return [(p, d is not None, kw) for p, _, d, kw in params]


def public_members(cls):
    for name, m in cls.__dict__.items():
        if name.startswith("_") and name not in ("__init__", "__call__", "__len__"):
            continue
        if name == "__init__" and parse_signature(getattr(m, "__doc__", None)) is None:
            continue  # an abstract base: pybind11's slot that refuses construction
        yield name, m


def test_every_public_name_is_in_the_stub_with_the_same_parameters():
    tree = stub_tree()
    top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assigned = {t.target.id for t in tree.body if isinstance(t, ast.AnnAssign)}
    checked = 0
    for name in ps.__all__:
        obj = getattr(ps, name)
        if getattr(obj, "__module__", "predsense._core") != "predsense._core":
            continue  # a pure-Python helper (predsense/thumbnails.py): its source is its own stub
        assert name in top or name in assigned, f"{name} missing from {STUB}"
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            node = top[name]
            methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
            for mname, m in public_members(obj):
                assert mname in methods, f"{name}.{mname} missing from the stub"
                if isinstance(m, property):
                    continue
                doc = (m.__func__ if isinstance(m, staticmethod) else m).__doc__
                if mname == "__init__" and "__registry__" in obj.__dict__:
                    want = registry_expected(obj)
                else:
                    want = runtime_params(doc, m)
                assert stub_params(methods[mname]) == want, f"{name}.{mname}"
                checked += 1
        elif callable(obj):
            want = registry_expected(obj) if name in REGISTRY_FUNCTIONS else runtime_params(obj.__doc__, None)
            assert stub_params(top[name]) == want, name
            checked += 1
    assert checked > 60


@pytest.mark.parametrize("name", [n for n in ps.__all__ if n != "simd_width"])
def test_every_public_name_has_a_docstring(name):
    obj = getattr(ps, name)
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return
    doc = obj.__doc__ or ""
    lines = [ln for ln in doc.splitlines() if ln.strip()]
    if not inspect.isclass(obj):
        lines = lines[1:]  # the first line is pybind11's signature
    assert len(" ".join(lines)) > 30, f"{name}: no docstring"
    if inspect.isclass(obj):
        for mname, m in public_members(obj):
            f = m.fget if isinstance(m, property) else getattr(m, "__func__", m)
            mdoc = [ln for ln in (m.__doc__ or f.__doc__ or "").splitlines() if ln.strip()]
            body = [ln for ln in mdoc if not ln.startswith(("(", mname + "("))]
            if mname == "__init__":
                continue  # constructor parameters are documented in the class docstring
            assert body, f"{name}.{mname}: no docstring"


def test_registry_classes_take_their_parameters_from_the_registry():
    """Each class the registry names is built from it (cls.__registry__): its stub's __init__ lists the
    registry's parameters with the registry's docs, its docstring lists them too, and an unknown keyword
    is refused naming the component."""
    tree = stub_tree()
    top = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    seen = 0
    for spec in ps.registry():
        cls = getattr(ps, spec["python_class"], None)
        if not inspect.isclass(cls) or spec["kind"] == "memory_policy":
            continue
        name = spec["python_class"]
        assert cls.__dict__.get("__registry__", (None, None))[:2] == (spec["kind"], spec["name"]), name
        init = {n.name: n for n in top[name].body if isinstance(n, ast.FunctionDef)}["__init__"]
        names = [a.arg for a in init.args.args + init.args.kwonlyargs if a.arg != "self"]
        assert sorted(names) == sorted(p["keyword"] for p in spec["params"]), name
        doc = ast.get_docstring(init) or ""
        for p in spec["params"]:
            assert f"{p['keyword']}: " in doc and p["doc"] in doc, f"{name}.{p['keyword']}: stub doc not the registry's"
            assert f"{p['keyword']}: " in cls.__doc__ and p["doc"] in cls.__doc__, f"{name}.__doc__: {p['keyword']}"
        with pytest.raises(TypeError, match=f"unexpected keyword argument 'no_such' .*'{spec['name']}'"
                           if spec["params"] else "incompatible constructor arguments"):
            cls(no_such=1)
        seen += 1
    assert seen >= 12
