"""Writes python/predsense/_core.pyi from the extension's own signatures and docstrings.

    PYTHONPATH=build-py/python /usr/bin/python3 python/tests/stubgen.py python/predsense/_core.pyi

pybind11 puts each callable's signature on the first line of its __doc__; this module parses it
(also used by test_stubs.py to check the stub against the running extension).
"""
import inspect
import re
import sys

ARRAY_ARGS = {"frame", "frames", "pred", "actual", "query", "latents", "series", "values", "surprise", "array",
              "descriptors", "gt", "x", "image", "images", "thumbnail", "thumbnails"}

TYPE_MAP = [
    (r"numpy\.ndarray\[numpy\.(\w+)\]", r"npt.NDArray[np.\1]"),
    (r"std::filesystem::__cxx11::path", "str | os.PathLike[str]"),
    (r"\bos\.PathLike\b", "str | os.PathLike[str]"),
    (r"predsense\._core\.", ""),
    (r"\bhandle\b", "Any"),
    (r"\bobject\b", "Any"),
]


def split_top(s, sep=","):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_signature(doc):
    """First doc line 'name(a: T, *, b: U = d) -> R' -> (name, [(param, type, default|None, kwonly)], ret)."""
    line = (doc or "").splitlines()[0] if doc else ""
    m = re.match(r"^(\w*)\((.*)\)(?: -> (.*))?$", line)
    if not m:
        return None
    name, args, ret = m.group(1), m.group(2), m.group(3) or "None"
    params, kwonly = [], False
    for a in split_top(args):
        if a == "*":
            kwonly = True
            continue
        if a.startswith("*"):  # *args / **kwargs (a registry class: its real parameters come from the registry)
            params.append((a.split(":")[0], "Any", None, kwonly))
            continue
        pm = re.match(r"^(\w+)(?:: ([^=]+?))?(?: = (.*))?$", a)
        params.append((pm.group(1), (pm.group(2) or "Any").strip(), pm.group(3), kwonly))
    return name, params, ret


def py_type(t, param=None):
    if param in ARRAY_ARGS and t in ("handle", "object"):
        return "ArrayLike"
    for pat, rep in TYPE_MAP:
        t = re.sub(pat, rep, t)
    return t


def fmt_default(d):
    if d is None:
        return ""
    if d == "Ellipsis":
        return " = ..."
    if d.startswith("<") or d.startswith("predsense") or d in ("-inf", "inf", "nan"):
        return " = ..."
    return f" = {d}"


def body_doc(doc, indent):
    lines = (doc or "").splitlines()
    text = "\n".join(lines[1:]).strip() if lines and re.match(r"^\w*\(", lines[0]) else "\n".join(lines).strip()
    if not text:
        return " ..."
    text = text.replace('"""', "'''").replace("\\", "\\\\")
    pad = " " * indent
    return "\n" + pad + '"""' + text.replace("\n", "\n" + pad) + '"""\n' + pad + "..."


def def_line(fn_doc, indent, is_method, static=False, name_override=None):
    sig = parse_signature(fn_doc)
    if sig is None:
        return None
    name, params, ret = sig
    name = name_override or name
    parts, star_done = [], False
    for i, (p, t, d, kw) in enumerate(params):
        if is_method and not static and i == 0:
            parts.append("self")
            continue
        if kw and not star_done:
            parts.append("*")
            star_done = True
        parts.append(f"{p}: {py_type(t, p)}{fmt_default(d)}")
    pad = " " * indent
    deco = pad + "@staticmethod\n" if static else ""
    return f"{deco}{pad}def {name}({', '.join(parts)}) -> {py_type(ret)}:{body_doc(fn_doc, indent + 4)}"


# Functions whose parameters come from the registry: name -> (kind, component, positional, params
# before the registry's as (name, type, default), keyword-only params after them).
REGISTRY_FUNCTIONS = {
    "bocpd_segment": ("segmenter", "bocpd",
                      ("lambda_", "mu0", "kappa0", "alpha0", "beta0", "lag", "threshold", "min_separation"),
                      [("series", "ArrayLike", None)], [("missing", "str", "'skip'")]),
}

PY_TYPES = {"int": "int", "float": "float", "bool": "bool", "str": "str"}


def registry_default(p):
    d = p["default"]
    if d is None:
        return "None"
    if isinstance(d, float) and (d != d or d in (float("inf"), float("-inf"))):
        return "..."
    return repr(d)


def registry_params(kind, name, positional):
    """[(keyword, type, default text or None if required, kwonly)] of a registry component, positional first."""
    import predsense
    spec = predsense._core.registry(kind, name)
    by_kw = {p["keyword"]: p for p in spec["params"]}
    order = [by_kw[k] for k in positional] + [p for p in spec["params"] if p["keyword"] not in positional]
    out = []
    for p in order:
        t = PY_TYPES[p["type"]]
        if p["optional"]:
            t = f"Optional[{t}]"
        default = None if p["required"] else registry_default(p)
        out.append((p["keyword"], t, default, p["keyword"] not in positional))
    return out, spec


def registry_param_doc(spec):
    lines = []
    for p in spec["params"]:
        rng = ((", " if p["type"] == "str" else " in ") + p["range"]) if p["range"] else ""
        unit = f" ({p['unit']})" if p["unit"] else ""
        alias = "".join(f" Deprecated alias: {a}." for a in p["aliases"])
        lines.append(f"{p['keyword']}: {p['type']}{rng}{' or None' if p['optional'] else ''}, "
                     f"default {p['default_text']}{unit}. {p['doc']}.{alias}")
    return "\n".join(lines)


def registry_def(name, params, ret, spec, indent, method):
    parts = ["self"] if method else []
    star = False
    for p, t, d, kw in params:
        if kw and not star:
            parts.append("*")
            star = True
        parts.append(f"{p}: {t}" + ("" if d is None else f" = {d}"))
    pad = " " * (indent + 4)
    doc = f"Parameters from the registry ({spec['kind']} '{spec['name']}'):\n" + registry_param_doc(spec)
    doc = doc.replace('"""', "'''").replace("\\", "\\\\")
    body = "\n" + pad + '"""' + doc.replace("\n", "\n" + pad) + '"""\n' + pad + "..."
    return f"{' ' * indent}def {name}({', '.join(parts)}) -> {ret}:{body}"


def registry_function(fname):
    kind, name, positional, before, after = REGISTRY_FUNCTIONS[fname]
    params, spec = registry_params(kind, name, positional)
    params = [(n, t, d, False) for n, t, d in before] + params + [(n, t, d, True) for n, t, d in after]
    return params, spec


def class_block(cls):
    bases = [b.__name__ for b in cls.__bases__ if b.__module__ == cls.__module__]
    if issubclass(cls, BaseException):
        base = cls.__bases__[0].__name__
        return f"class {cls.__name__}({base}): ..."
    head = f"class {cls.__name__}({', '.join(bases)}):" if bases else f"class {cls.__name__}:"
    out = [head]
    doc = cls.__doc__ or ""
    out.append('    """' + doc.replace('"""', "'''").replace("\\", "\\\\").replace("\n", "\n    ") + '"""')
    for name, member in cls.__dict__.items():
        if name.startswith("_") and name not in ("__init__", "__call__", "__len__", "__getstate__", "__setstate__"):
            continue
        if isinstance(member, property):
            ret = parse_signature(member.fget.__doc__)
            rtype = py_type(ret[2]) if ret else "Any"
            extra = body_doc(member.__doc__ if member.__doc__ != member.fget.__doc__ else member.fget.__doc__, 8)
            out.append(f"    @property\n    def {name}(self) -> {rtype}:{extra}")
        elif isinstance(member, staticmethod):
            out.append(def_line(member.__func__.__doc__, 4, True, static=True))
        elif name == "__init__" and "__registry__" in cls.__dict__:
            kind, comp, positional = cls.__registry__
            params, spec = registry_params(kind, comp, positional)
            out.append(registry_def("__init__", params, "None", spec, 4, True))
        elif callable(member) and getattr(member, "__doc__", None):
            line = def_line(member.__doc__, 4, True, name_override=name)
            if line:
                out.append(line)
    return "\n".join(out)


def generate(ps):
    core = ps._core
    out = ['"""Type stubs for predsense._core (generated by python/tests/stubgen.py from the extension;',
           'checked by python/tests/test_stubs.py)."""',
           "import os",
           "from typing import Any, Dict, List, Optional, Tuple",
           "",
           "import numpy as np",
           "import numpy.typing as npt",
           "",
           "# numpy arrays, CPU torch tensors, lists, anything with __array__ (python/src/convert.hpp)",
           "ArrayLike = Any",
           "",
           "simd_width: int",
           ""]
    names = [n for n in ps.__all__ if n != "simd_width" and hasattr(core, n)]  # pure-Python helpers have no stub here
    classes = [getattr(core, n) for n in names if inspect.isclass(getattr(core, n))]
    done = set()

    def emit(c):
        if c.__name__ in done:
            return
        for b in c.__bases__:
            if b.__module__ == c.__module__:
                emit(b)
        done.add(c.__name__)
        out.append(class_block(c))
        out.append("")

    for c in classes:
        emit(c)
    for n in names:
        obj = getattr(core, n)
        if not inspect.isclass(obj) and n in REGISTRY_FUNCTIONS:
            params, spec = registry_function(n)
            out.append(registry_def(n, params, py_type(parse_signature(obj.__doc__)[2]), spec, 0, False))
            out.append("")
        elif not inspect.isclass(obj):
            out.append(def_line(obj.__doc__, 0, False))
            out.append("")
    out.append(def_line(core._frame_address.__doc__, 0, False))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import predsense

    text = generate(predsense)
    with open(sys.argv[1], "w") as f:
        f.write(text)
