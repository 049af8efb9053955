"""`tidecast doctor`: the configuration checked part by part (tidecast/doctor.py).

It imports the checks when it runs (`# lazy`), so `tidecast --help` loads none of them.
"""

from __future__ import annotations

import typer


def doctor() -> None:
    """Check the configuration part by part: settings and secrets, the database (reachable and
    migrated), the queue, the object store (written, read back, deleted), the IPFS node, the
    chain node and the contracts at the configured addresses, SMTP. Each problem names the
    setting to fix; exit status 1 when any check fails (a warning does not)."""
    from tidecast.doctor import examine  # lazy

    findings = examine()
    width = max(len(f.part) for f in findings)
    for finding in findings:
        typer.echo(f"{finding.outcome:<4}  {finding.part:<{width}}  {finding.detail}")
    failed = [f.part for f in findings if f.outcome == "fail"]
    if failed:
        typer.echo(f"{len(failed)} of {len(findings)} checks failed: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
