"""Repository layout rules that a reader relies on."""
import os
import re
from pathlib import Path

ROOT = Path(os.environ.get("PREDSENSE_SOURCE_DIR", Path(__file__).resolve().parents[2]))
INCLUDE = ROOT / "include"
# third-party adapters, and the header of the compiled checkpoint part (it needs predsense::checkpoint linked)
OPT_IN = {"predsense/core/eigen.hpp", "predsense/core/xtensor.hpp", "predsense/memory/checkpoint_library.hpp"}


def headers():
    return sorted(str(p.relative_to(INCLUDE)) for p in INCLUDE.rglob("*.hpp") if p.name != "predsense.hpp")


def test_umbrella_includes_every_standard_library_header():
    umbrella = (INCLUDE / "predsense" / "predsense.hpp").read_text()
    included = set(re.findall(r'#include "([^"]+)"', umbrella))
    missing = [h for h in headers() if h not in OPT_IN and h not in included]
    assert not missing, f"add to include/predsense/predsense.hpp: {missing}"
    assert not (included & OPT_IN), "third-party adapters stay opt-in"


def test_every_header_names_itself_and_uses_pragma_once():
    for h in headers():
        text = (INCLUDE / h).read_text()
        assert text.startswith(f"// {h} - "), f"{h}: first line should be '// {h} - <what it is>'"
        assert "#pragma once" in text, h


def test_readme_starts_with_the_two_commands():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:8])
    assert "make demo" in head and "make test" in head


def test_version_is_written_once():
    """config.hpp holds the version; CMakeLists.txt and python/setup.py read it instead of repeating it."""
    cfg = (INCLUDE / "predsense" / "config.hpp").read_text()
    parts = [re.search(rf"#define PREDSENSE_VERSION_{p} (\d+)", cfg) for p in ("MAJOR", "MINOR", "PATCH")]
    assert all(parts), "config.hpp must define PREDSENSE_VERSION_MAJOR/MINOR/PATCH"
    version = ".".join(m.group(1) for m in parts)
    assert version not in (ROOT / "python" / "predsense" / "__init__.py").read_text()
    for f in ("CMakeLists.txt", "python/setup.py"):
        text = (ROOT / f).read_text()
        assert version not in text and "config.hpp" in text, f"{f} must read the version from config.hpp"


def test_no_references_outside_the_repo():
    """Code and docs cite papers and files in this repository, not a tracker's issue numbers or a
    design file that is not here."""
    pattern = re.compile(r"\bissue [0-9]+\b|DESIGN\.md", re.IGNORECASE)
    offenders = []
    for folder in ("include", "tools", "tests", "python", "scripts", "benchmarks", "examples", "docs", "fuzz"):
        for p in (ROOT / folder).rglob("*"):
            if p.suffix in {".hpp", ".cpp", ".py", ".md", ".pyi", ".sh", ".txt"} and p.is_file():
                if p.name == "test_layout.py":
                    continue
                for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
                    if pattern.search(line):
                        offenders.append(f"{p.relative_to(ROOT)}:{i}")
    assert not offenders, offenders
