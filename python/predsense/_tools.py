"""Where predsense's command-line tools are: the one copy this package carries, a CMake build tree, PATH.

A wheel (python/setup.py, `make wheel`) carries every tool tools/CMakeLists.txt builds in
``predsense/bin/`` (with the scripts predsense-video runs in ``predsense/share/predsense/``), and a
command per tool in the environment's bin/ that runs it. In a CMake build tree the package sits in
``BUILD/python/predsense`` and the tools in ``BUILD/bin``.
"""
import os
import shutil
from pathlib import Path

__all__ = ["find", "package_bin"]

_PKG = Path(__file__).resolve().parent


def package_bin() -> Path:
    """The folder of the tools an installed wheel carries (it may not exist: a build tree's package)."""
    return _PKG / "bin"


def _runs(p: Path) -> bool:
    return p.is_file() and os.access(p, os.X_OK)


def find(name, explicit=None, env_var=None):
    """(path, source) of the tool ``name`` (e.g. "predsense-video"): ``explicit`` ("given"), else
    $env_var, else the installed package ("installed package": predsense/bin), else the build tree
    this package sits in ("build tree": BUILD/python/predsense -> BUILD/bin), else PATH ("PATH").
    FileNotFoundError naming every place tried when none is an executable file."""
    if explicit:
        cands = [("given", Path(explicit))]
    elif env_var and os.environ.get(env_var):
        cands = [("$" + env_var, Path(os.environ[env_var]))]
    else:
        cands = [("installed package", package_bin() / name), ("build tree", _PKG.parents[1] / "bin" / name)]
        w = shutil.which(name)
        cands.append(("PATH", Path(w) if w else Path(name)))
    for how, p in cands:
        if _runs(p):
            return p.resolve(), how
    tried = "; ".join(f"{how}: {p}" for how, p in cands)
    raise FileNotFoundError(f"{name} not found ({tried})")
