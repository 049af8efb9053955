"""`tidecast billing ledger USER|reconcile`: card credit for operators.

`ledger USER` (a user id, a username or an email address) prints the viewer's balances and
their ledger rows, newest first, with each balance checked against the sum of its rows.
`reconcile` runs the worker's pass by hand (tidecast/billing/playbacks.py) and prints what it
did and found; it exits 1 when a charge differs from the chain, a balance from its rows, or a
playback could not be settled, so a cron or CI can alarm on it.

Its commands import their domain when they run (`# lazy`), so `tidecast --help` loads none of it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tidecast.cli import common
from tidecast.errors import DomainError

billing_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Card credit: the ledger and reconcile."
)


@billing_app.command("ledger")
def ledger_command(
    user: Annotated[str, typer.Argument(help="A user id, username or email address.")],
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows to print, newest first.")] = 50,
) -> None:
    """A viewer's credit: balances and ledger rows."""
    from sqlalchemy import or_, select  # lazy

    from tidecast.billing import ledger  # lazy
    from tidecast.chain.units import format_units  # lazy
    from tidecast.db.schema import users  # lazy

    svc = common.migrated(common.services())
    with svc.engine.connect() as conn:
        row = conn.execute(
            select(users.c.id, users.c.username, users.c.email).where(
                or_(users.c.id == user, users.c.username == user.lower(), users.c.email_key == user.lower())
            )
        ).first()
        if row is None:
            raise common.fail(f"tidecast: no user {user!r}", code=1)
        balances = ledger.balances(conn, row.id)
        sums = {
            name: ledger.sum_of_rows(conn, account(row.id))
            for name, account in (
                ("available", ledger.available),
                ("held", ledger.held),
                ("disputed", ledger.disputed),
            )
        }
        rows = ledger.user_entries(conn, row.id, limit=limit)
    try:
        token = svc.chain.token()
        decimals, symbol = token.decimals, token.symbol
    except DomainError:  # the node is away: base units, said so
        decimals, symbol = 0, "base units"

    def amount(units: int) -> str:
        return ("-" if units < 0 else "") + f"{format_units(abs(units), decimals)} {symbol}"

    typer.echo(f"{row.username} ({row.id}, {row.email})")
    problems = 0
    for name in ("available", "held", "disputed"):
        stored = getattr(balances, name)
        check = "" if stored == sums[name] else f"   MISMATCH: the rows sum to {amount(sums[name])}"
        problems += bool(check)
        typer.echo(f"  {name:<9} {amount(stored)}{check}")
    typer.echo(f"rows, newest first ({len(rows)}):")
    for entry in rows:
        when = entry.created_at.strftime("%Y-%m-%d %H:%M:%S")
        where = entry.account.rsplit(":", 1)[-1]
        typer.echo(f"  {when}  {entry.kind:<10} {where:<9} {amount(entry.amount):>24}  {entry.ref}")
    if problems:
        raise typer.Exit(1)


@billing_app.command("reconcile")
def reconcile_command() -> None:
    """Settle what should be settled; check charges against the chain and balances against rows."""
    from tidecast.container import treasury_key  # lazy

    svc = common.migrated(common.services())
    if treasury_key(svc.settings) is None:
        raise common.fail("tidecast: card payments are not configured: set TREASURY_PRIVATE_KEY", code=1)
    try:
        report = svc.credit.reconcile()
    except DomainError as exc:
        raise common.fail(f"tidecast: {exc.message}", code=1) from None
    typer.echo(
        f"settled {report.settled}, retried {report.retried}, gave up on {report.failed_openings} openings; "
        f"checked {report.checked} settled playbacks against the chain"
    )
    if report.treasury_balance is not None:
        from tidecast.chain.units import format_units  # lazy

        token = svc.chain.token()
        low = "  LOW: below TIDECAST_TREASURY_LOW_BALANCE" if report.treasury_low else ""
        typer.echo(
            f"treasury {svc.treasury.address}: {format_units(report.treasury_balance, token.decimals)} "
            f"{token.symbol}{low}"
        )
    for line in report.mismatches + report.balance_mismatches + report.errors:
        typer.echo(f"  PROBLEM: {line}")
    if report.mismatches or report.balance_mismatches or report.errors:
        raise typer.Exit(1)
