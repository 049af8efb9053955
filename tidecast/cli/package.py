"""`tidecast package`: the zip AWS Lambda runs (tidecast/deploy/package.py builds it).

It imports the builder when it runs (`# lazy`), so `tidecast --help` loads none of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tidecast.cli import common


def package(
    out: Annotated[Path, typer.Option(help="The zip to write.")] = Path("dist/lambda.zip"),
    python: Annotated[str, typer.Option(help="Lambda's Python: 3.11, 3.12 or 3.13.")] = "3.11",
    arch: Annotated[str, typer.Option(help="Lambda's architecture: x86_64 or arm64.")] = "x86_64",
    root: Annotated[Path, typer.Option(help="tidecast's source tree.")] = Path(),
) -> None:
    """Build the Lambda package: the functions and their runtime dependencies (requirements.lock,
    wheels for Lambda's platform), bytecode compiled, with its sizes against Lambda's limits."""
    from tidecast.deploy.package import UNZIPPED_LIMIT, Target, build  # lazy
    from tidecast.errors import InvalidInput  # lazy

    try:
        target = Target(python, arch)
        typer.echo(
            f"building {out} for {target.runtime} {target.arch} (pip installs the wheels: a minute or two)"
        )
        built = build(root.resolve(), out, target)
    except InvalidInput as exc:
        raise common.fail(f"tidecast: {exc}") from None
    for line in built.summary():
        typer.echo(line)
    if built.unzipped > UNZIPPED_LIMIT:
        raise common.fail("tidecast: the package is over Lambda's 250 MB unzipped limit", code=1)
    if not built.within_limits:
        typer.secho(
            "over 50 MB zipped: deploy it through S3 (sam deploy does), not a direct upload", err=True
        )
