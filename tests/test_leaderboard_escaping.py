"""Every entry field lands as text on both pages: no tags, handlers, links, extra table cells or rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interpbench.leaderboard.render import md_text, safe_path
from tests_hostile import hostile_leaderboard

CASES = {
    "script": "<script>alert(1)</script>",
    "img": '<img src=x onerror="alert(1)">',
    "link": "[click](javascript:alert(1))",
    "autolink": "<javascript:alert(1)>",
    "pipe": "a | b || c",
    "newline": "first\nsecond\r\nthird\rfourth\u2028fifth",
    "emphasis": "**bold** _it_ `code` ~~gone~~ \\",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    out = {}
    for key, text in CASES.items():
        root = hostile_leaderboard(tmp_path_factory.mktemp(key), {"name": f"m {text} end", "hardware": f"cpu {text} end"})
        out[key] = ((root / "README.md").read_text(encoding="utf-8"), (root / "index.html").read_text(encoding="utf-8"))
    return out


@pytest.mark.parametrize("key", CASES)
def test_html_page_holds_the_text_escaped(pages: dict[str, tuple[str, str]], key: str) -> None:
    _, page = pages[key]
    assert "<script" not in page.lower()
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", page, re.IGNORECASE)  # no tag carries an event handler
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", page, re.IGNORECASE)
    if key in ("script", "img"):
        assert "&lt;" in page  # shown, as text


@pytest.mark.parametrize("key", CASES)
def test_markdown_page_holds_the_text_escaped(pages: dict[str, tuple[str, str]], key: str) -> None:
    md, _ = pages[key]
    assert "<script" not in md.lower() and "<img" not in md.lower()
    assert not re.search(r"(?<!\\)\]\(javascript:", md) and "<javascript:" not in md  # "\](" is an escaped bracket, not a link
    table = [line for line in md.split("## Lines benchmark")[1].split("\n\n") if line.startswith("| #")][0].splitlines()
    widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
    assert len(widths) == 1, table  # every row has the header's cells: no field opened a cell
    assert len(table) == 4  # header, rule, two entries: no field started a row
    for line in md.splitlines():
        if "m " in line and " end" in line:
            assert not re.search(r"(?<!\\)[*_`~]{1,2}\w", line.split("m ", 1)[1].split(" end")[0]) or key != "emphasis"


def test_md_text_and_safe_path_units() -> None:
    assert md_text("a|b\nc") == "a\\|b c"
    assert md_text("<b>&") == "&lt;b&gt;&amp;"
    assert md_text("[x](y) *z* _w_ `v`") == "\\[x\\](y) \\*z\\* \\_w\\_ \\`v\\`"
    assert safe_path("figures/a-1.grid.png") == "figures/a-1.grid.png"
    for bad in ("javascript:alert(1)", "/etc/passwd", "../x.png", "figures/a b.png", "data:image/png;base64,xx", "\\\\host\\x"):
        assert safe_path(bad) is None
