"""`tidecast api openapi [--check]`: the committed OpenAPI document, written or checked; and
`tidecast api client [--check]`: the Python client generated from it.

Its commands import their domain when they run (`# lazy`), so `tidecast --help`
loads none of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tidecast.cli import common

api_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="The API's published contract.")

#: Committed at the repository root, beside netlify.toml.
DOCUMENT = "openapi.json"


@api_app.command("openapi")
def openapi(
    check: Annotated[bool, typer.Option(help="Fail if the committed file differs; write nothing.")] = False,
    path: Annotated[Path, typer.Option(help="The file to write or check.")] = Path(DOCUMENT),
) -> None:
    """Write openapi.json from the functions' route contracts (or check it is up to date)."""
    from tidecast.functions.openapi import document_text  # lazy

    fresh = document_text()
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != fresh:
            raise common.fail(f"tidecast: {path} is out of date; run `tidecast api openapi` and commit it")
        typer.echo(f"{path} is up to date")
        return
    path.write_text(fresh, encoding="utf-8")
    typer.echo(f"wrote {path}")


@api_app.command("client")
def client(
    check: Annotated[
        bool, typer.Option(help="Fail if the committed client differs from a generation; write nothing.")
    ] = False,
    document: Annotated[Path, typer.Option(help="The OpenAPI document to generate from.")] = Path(DOCUMENT),
) -> None:
    """Generate tidecast/client/_generated from openapi.json with the pinned openapi-python-client
    (or check it is up to date)."""
    from tidecast.client import codegen  # lazy

    if not document.exists():
        raise common.fail(f"tidecast: {document} not found; run this at the repository's root")
    try:
        if check:
            drift = codegen.check(document)
            if drift:
                raise common.fail(
                    "tidecast: the generated client is out of date; run `tidecast api client`, commit it:\n"
                    + "\n".join(f"  {line}" for line in drift)
                )
            typer.echo(f"{os.path.relpath(codegen.PACKAGE)} is up to date")
            return
        codegen.write(document)
    except (codegen.GeneratorMissing, codegen.GeneratorFailed) as exc:
        raise common.fail(f"tidecast: {exc}") from None
    typer.echo(f"wrote {os.path.relpath(codegen.PACKAGE)}")
