"""mkdocs hooks: the two pages written from the code rather than by hand.

- cli.md: `<!-- tidecast-cli -->` becomes the help of every `tidecast` command, read from the
  Typer app itself, so the page lists exactly the commands and options the CLI has.
- api-reference.md: `<!-- openapi-operations -->` becomes a table of the operations in the
  repository's openapi.json (method, path, summary), when that file exists at build time; the
  page says so when it does not.

A hook of a few lines rather than a plugin package (mkdocs-click, mkdocs-swagger-ui-tag): one
less pinned dependency, and no JavaScript in the site.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI_MARK = "<!-- tidecast-cli -->"
OPENAPI_MARK = "<!-- openapi-operations -->"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if CLI_MARK in markdown:
        markdown = markdown.replace(CLI_MARK, cli_reference())
    if OPENAPI_MARK in markdown:
        markdown = markdown.replace(OPENAPI_MARK, openapi_operations(ROOT / "openapi.json"))
    return markdown


def cli_reference() -> str:
    import typer

    from tidecast.cli import app

    root = typer.main.get_command(app)
    parts: list[str] = []

    # Typer carries its own copy of click, so the types are taken from the command itself.
    def walk(command: Any, parent: Any, name: str) -> None:
        ctx = command.context_class(
            command, info_name=name, parent=parent, terminal_width=100, max_content_width=100
        )
        if parent is not None:  # the top level's help is the list the sections below repeat
            parts.append(f"## {ctx.command_path}\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
        if hasattr(command, "list_commands"):
            for sub in command.list_commands(ctx):
                found = command.get_command(ctx, sub)
                if found is not None and not found.hidden:
                    walk(found, ctx, sub)

    walk(root, None, "tidecast")
    return "\n".join(parts)


def openapi_operations(path: Path) -> str:
    if not path.exists():
        return (
            "*This build found no `openapi.json` at the top of the repository, so the operations "
            "are not listed here; the running platform still serves its document at "
            "`/api/openapi.json`.*\n"
        )
    document = json.loads(path.read_text())
    rows = ["| method | path | summary |", "|---|---|---|"]
    for route, item in sorted(document.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                summary = str(operation.get("summary") or operation.get("description") or "").splitlines()
                text = (summary[0] if summary else "").replace("|", "\\|")
                rows.append(f"| `{method.upper()}` | `{route}` | {text} |")
    version = document.get("info", {}).get("version", "")
    return f"OpenAPI {document.get('openapi', '')}, API version {version}:\n\n" + "\n".join(rows) + "\n"
