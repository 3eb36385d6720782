"""Every surface that names components takes its names and parameters from the registry
(include/predsense/registry/registry.hpp): each tool's --help, docs/registry.md and docs/concepts.md.
(The .pyi stubs: python/tests/test_stubs.py.)

A tool uses the registry when its source includes tools/support/registry_cli.hpp; every such tool is
checked here, so a tool wired to the registry later is covered without editing this file."""
import os
import re
import subprocess
import sys

import pytest

import predsense as ps

SRC = os.environ.get("PREDSENSE_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
BUILD = os.environ.get("PREDSENSE_BUILD_DIR", os.path.join(SRC, "build"))


def registry_tools():
    tools = []
    for name in sorted(os.listdir(os.path.join(SRC, "tools"))):
        if name.endswith(".cpp"):
            text = open(os.path.join(SRC, "tools", name)).read()
            if '#include "support/registry_cli.hpp"' in text:
                tools.append(name[:-4])
    return tools


def test_predsense_tcpd_uses_the_registry():
    assert "predsense-tcpd" in registry_tools()


def spec(kind, name):
    return ps.registry(kind, name)


def help_text(tool):
    exe = os.path.join(BUILD, "bin", tool)
    if not os.path.exists(exe):
        pytest.fail(f"{exe} not built")
    r = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("tool", registry_tools())
def test_help_takes_names_and_parameters_from_the_registry(tool):
    """Every component the help offers is a registry name; each parameter line it shows for a registry
    component carries the registry's type, range and one-line doc; every parameter of an offered
    registry_cli block is shown."""
    text = help_text(tool)
    # registry_cli.hpp blocks: '--<flag> ... <kind> (registry name): a, b; default x. Parameters'
    blocks = re.findall(r"(\w+) \(registry name\): ([\w, ]+); default", text)
    # predsense-tcpd's --method: '<method>: ... [registry segmenter '<name>']'
    tagged = re.findall(r"\[registry (\w+) '(\w+)'\]", text)
    assert blocks or tagged, f"{tool} --help names no registry component"
    lines = text.splitlines()
    checked = 0
    for kind, names in blocks:
        for name in [n.strip() for n in names.split(",")]:
            c = spec(kind, name)
            for p in c["params"]:
                want = [ln for ln in lines if re.match(rf"\s+{p['name']}\s", ln) and p["doc"] in ln]
                assert want, f"{tool} --help: {kind} '{name}' parameter {p['name']} missing or not the registry's"
                assert p["range"] in want[0] or not p["range"], want[0]
                checked += 1
    for kind, name in tagged:
        c = spec(kind, name)
        known = {p["name"]: p for p in c["params"]}
        start = next(i for i, ln in enumerate(lines) if f"[registry {kind} '{name}']" in ln)
        for ln in lines[start + 1:]:
            m = re.match(r"\s{4,}(\w+) = ", ln)
            if not m:
                break
            if m.group(1) in known:
                p = known[m.group(1)]
                assert p["doc"] in ln and (p["range"] in ln or not p["range"]), f"{tool}: {ln!r} is not the registry's"
                checked += 1
            else:
                assert all(p["name"] != m.group(1) for p in c["params"])
                assert not any(m.group(1) in p["aliases"] for p in c["params"]), f"{tool}: deprecated {ln!r}"
    assert checked >= 10


def test_tcpd_old_spellings_warn_and_new_ones_are_checked(tmp_path):
    exe = os.path.join(BUILD, "bin", "predsense-tcpd")
    series = tmp_path / "s.json"
    series.write_text('{"name": "s", "n_obs": 40, "series": [{"raw": [' +
                      ", ".join(str((i % 7) * 0.1 + (3.0 if i >= 20 else 0.0)) for i in range(40)) + "]}]}")
    ann = tmp_path / "a.json"
    ann.write_text('{"s": {"1": [20]}}')
    new = subprocess.run([exe, "--annotations", str(ann), "--method", "peak", "--param", "min_separation=3",
                          "--json", str(tmp_path / "new.json"), str(series)], capture_output=True, text=True)
    old = subprocess.run([exe, "--annotations", str(ann), "--method", "peaks", "--param", "separation=3",
                          "--json", str(tmp_path / "old.json"), str(series)], capture_output=True, text=True)
    assert new.returncode == 0 and old.returncode == 0, (new.stderr, old.stderr)
    assert "deprecated" not in new.stderr
    assert "'peaks' is deprecated, use 'peak'" in old.stderr
    assert "'separation' is deprecated, use 'min_separation'" in old.stderr
    assert (tmp_path / "new.json").read_text() == (tmp_path / "old.json").read_text()
    for bad, frag in (("min_separation=0", "'min_separation' must be in [1, inf)"),
                      ("prominence=-1", "'prominence' must be in [0, inf)")):
        r = subprocess.run([exe, "--annotations", str(ann), "--method", "peak", "--param", bad, str(series)],
                           capture_output=True, text=True)
        assert r.returncode == 2 and frag in r.stderr and "segmenter 'peak'" in r.stderr, r.stderr
    r = subprocess.run([exe, "--annotations", str(ann), "--method", "peak", "--param", "prominence=nan", str(series)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "'prominence'" in r.stderr and "not a finite number" in r.stderr


def test_registry_docs_are_generated_from_the_registry():
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    try:
        import gen_registry_docs
    finally:
        sys.path.pop(0)
    with open(os.path.join(SRC, "docs", "registry.md")) as f:
        committed = f.read()
    assert committed == gen_registry_docs.generate(ps), \
        "docs/registry.md is stale: run PYTHONPATH=build/python python3 scripts/gen_registry_docs.py docs/registry.md"
    for c in ps.registry():  # every component and parameter is in the page
        assert f"| `{c['name']}` |" in committed
        for p in c["params"]:
            assert p["doc"].replace("|", "\\|") in committed


def test_concepts_describes_the_registry():
    with open(os.path.join(SRC, "docs", "concepts.md")) as f:
        text = f.read()
    assert "## The registry" in text and "registry.md" in text
    for kind in ps.registry_kinds():
        assert f"`{kind}`" in text, kind
