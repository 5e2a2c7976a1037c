"""The README's Python examples must run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
# Blocks that use a placeholder for the user's own model are illustrations, not programs.
RUNNABLE = [b for b in BLOCKS if not any(p in b for p in ("my_", "MyAdapter", "mypkg"))]


def test_readme_has_runnable_examples():
    assert len(RUNNABLE) >= 2


@pytest.mark.parametrize("code", RUNNABLE, ids=lambda c: c.splitlines()[0][:40])
def test_readme_example_runs(code, capsys):
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.strip()


PLACEHOLDER_BLOCKS = [b for b in BLOCKS if b not in RUNNABLE]


def _free_names(code: str) -> set[str]:
    """Names a block reads but never binds (imports, assignments, definitions, builtins excluded)."""
    import ast
    import builtins

    tree = ast.parse(code)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return read - bound


@pytest.mark.parametrize("code", PLACEHOLDER_BLOCKS, ids=lambda c: c.splitlines()[0][:40])
def test_illustrations_leave_only_the_users_own_names_undefined(code):
    # An illustration cannot run without the user's model, but every other name in it must be
    # defined (the pythae and Lightning snippets once used names nothing imported), and its
    # imports must work on the dev install.
    import ast

    assert all(name.startswith("my_") for name in _free_names(code)), _free_names(code)
    imports = [n for n in ast.parse(code).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    exec(compile(ast.Module(body=imports, type_ignores=[]), str(README), "exec"), {})
