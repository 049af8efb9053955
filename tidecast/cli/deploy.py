"""`tidecast deploy template [--check]`: the SAM template generated from netlify.toml, written
or checked (deploy/template.yaml, committed); `tidecast deploy redirects --api-url URL`: the
production site's `_redirects`, netlify.toml's function rules proxied to the deployed API.

Its command imports the generator when it runs (`# lazy`), so `tidecast --help` loads none of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tidecast.cli import common

deploy_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="What production deploys.")


@deploy_app.command("template")
def template(
    check: Annotated[bool, typer.Option(help="Fail if the committed file differs; write nothing.")] = False,
    root: Annotated[Path, typer.Option(help="The checkout whose netlify.toml is read.")] = Path(),
) -> None:
    """Write deploy/template.yaml from netlify.toml and the functions (or check it is up to date)."""
    from tidecast.deploy import template as generator  # lazy
    from tidecast.errors import ConfigError  # lazy

    try:
        fresh = generator.render(root)
    except ConfigError as exc:
        raise common.fail(f"tidecast: {exc}") from None
    path = root / generator.TEMPLATE
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != fresh:
            raise common.fail(
                f"tidecast: {generator.TEMPLATE} is out of date; run `tidecast deploy template` and commit it"
            )
        typer.echo(f"{generator.TEMPLATE} is up to date")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fresh, encoding="utf-8")
    typer.echo(f"wrote {generator.TEMPLATE}")


@deploy_app.command("redirects")
def redirects(
    api_url: Annotated[str, typer.Option(help="The deployed HTTP API (the stack's ApiUrl output).")],
    output: Annotated[Path, typer.Option(help="The file to write.")] = Path("public/_redirects"),
    root: Annotated[Path, typer.Option(help="The checkout whose netlify.toml is read.")] = Path(),
) -> None:
    """Write the production site's _redirects: /api/* and the functions proxied to the API."""
    from tidecast.deploy.redirects import production_redirects  # lazy
    from tidecast.errors import ConfigError  # lazy

    try:
        text = production_redirects(root, api_url)
    except ConfigError as exc:
        raise common.fail(f"tidecast: {exc}") from None
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")
