"""Every import inside a function body says why it is there.

An import in a function hides an arrow of the dependency graph, so it stays only where a cold
start needs it (a Lambda function's first event, `tidecast --help`, a CLI command's start) or to
break a genuine cycle, and says so on its line with one marker:

    from web3 import Web3  # lazy: web3 costs ~1 s of a cold start; only the chain commands use it

A module that is lazy by design (the container: each part imports its service when first built;
the CLI: each command imports its domain when run) says so once in its docstring, naming the
marker (`# lazy`), and then a bare `# lazy` on each line is enough. Any other import belongs at
the top of the module. docs/decisions.md ("imports inside function bodies") has the reasons.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tidecast"
SKIP = PACKAGE / "client" / "_generated"

#: `# lazy: <reason>`; the reason is at least a few words of text.
REASONED = re.compile(r"#\s*lazy:\s*(?P<reason>\S.{8,})")
BARE = re.compile(r"#\s*lazy\b")
#: A docstring of a module lazy by design names the marker.
BY_DESIGN = "`# lazy`"

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def imports_in_functions(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Each import statement with a function among its ancestors, once (nested functions too)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            walk(child, in_function or isinstance(child, FUNCTIONS))

    walk(tree, False)
    return found


def comments_by_line(source: str) -> dict[int, str]:
    return {
        tok.start[0]: tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    }


def unexplained(path: Path, root: Path = ROOT) -> list[str]:
    """file:line of each import in a function body of `path` that does not say why it is there."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    comments = comments_by_line(source)
    by_design = BY_DESIGN in (ast.get_docstring(tree) or "")
    where = path.relative_to(root)
    bad = []
    for node in imports_in_functions(tree):
        lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        said = " ".join(comments.get(n, "") for n in lines)
        if REASONED.search(said) or (by_design and BARE.search(said)):
            continue
        why = "a bare `# lazy` in a module whose docstring does not name it" if BARE.search(said) else "no"
        bad.append(f"{where}:{node.lineno}: {ast.unparse(node)}  ({why} `# lazy: <reason>`)")
    return bad


def sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if SKIP not in p.parents]


def test_every_import_in_a_function_body_says_why() -> None:
    bad = [line for path in sources() for line in unexplained(path)]
    assert not bad, (
        f"{len(bad)} imports inside function bodies without a reason; move each to the top of its "
        "module, or mark it `# lazy: <why a cold start needs it>`:\n" + "\n".join(bad)
    )


def test_the_check_sees_what_it_should(tmp_path: Path) -> None:
    """The walk finds nested and async imports and reads the marker on any line of a statement."""
    pkg = tmp_path / "m.py"
    pkg.write_text(
        '"""A module."""\n'
        "import os\n"
        "def f():\n"
        "    import json\n"
        "    import csv  # lazy\n"
        "    import heapq  # lazy: heapq is imported here for the test's sake\n"
        "    def g():\n"
        "        from decimal import (  # lazy: a multi-line import, marked on its first line\n"
        "            Decimal,\n"
        "        )\n"
        "        from fractions import (\n"
        "            Fraction,  # lazy: marked on a later line\n"
        "        )\n"
        "    return g\n"
        "async def h():\n"
        "    import zlib  # lazy:\n",
        encoding="utf-8",
    )
    assert [n.lineno for n in imports_in_functions(ast.parse(pkg.read_text()))] == [4, 5, 6, 8, 11, 16]
    bad = unexplained(pkg, tmp_path)
    assert [b.split(":")[1] for b in bad] == ["4", "5", "16"]
    # Lazy by design: a bare marker is enough, an unmarked import still is not.
    pkg.write_text('"""Each command imports its domain when run (`# lazy`)."""\n' + pkg.read_text())
    assert [b.split(":")[1] for b in unexplained(pkg, tmp_path)] == ["5"]
