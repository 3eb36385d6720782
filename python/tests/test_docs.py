"""docs/python.md lists every public name (with its shapes in the table) and links the example."""
import os
import re

import pytest

import predsense as ps

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "python.md")
pytestmark = pytest.mark.skipif(not os.path.exists(DOC), reason="docs/python.md not in this tree")


def doc_text():
    with open(DOC) as f:
        return f.read()


def test_every_public_name_is_in_the_table():
    text = doc_text()
    table = text[text.index("## Every public name"):]
    table = table[table.index("\n|"):]
    table = table[:table.index("\n\n")]
    missing = [n for n in ps.__all__ if not re.search(r"`(ps\.)?" + re.escape(n) + r"[(`.]", table)]
    assert not missing, f"not in the 'Every public name' table of docs/python.md: {missing}"


def test_the_example_is_linked_and_exists():
    text = doc_text()
    links = re.findall(r"\]\((\.\./python/examples/[\w./]+\.py)\)", text)
    assert links, "docs/python.md does not link python/examples"
    for link in links:
        assert os.path.exists(os.path.join(os.path.dirname(DOC), link)), link
