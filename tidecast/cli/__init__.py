"""The `tidecast` command: dev server, worker, functions, config, doctor, database, events, mail, jobs,
chain, payments, wallets, ipfs, transcode, the API's contract, uploading to a running platform, and
deploying (the SAM template, the Lambda package)."""

from __future__ import annotations

import typer

from tidecast.cli.api import api_app
from tidecast.cli.billing import billing_app
from tidecast.cli.chain import chain_app
from tidecast.cli.data import db_app, show_config, streams_app
from tidecast.cli.deploy import deploy_app
from tidecast.cli.dev import dev
from tidecast.cli.doctor import doctor
from tidecast.cli.functions import functions_app
from tidecast.cli.ipfs import ipfs_app
from tidecast.cli.media import transcode
from tidecast.cli.package import package
from tidecast.cli.payments import payments_app
from tidecast.cli.upload import upload
from tidecast.cli.wallet import wallet_app
from tidecast.cli.work import events_app, jobs_app, mail_app, worker

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=__doc__,
    pretty_exceptions_show_locals=False,
    # Plain help: the rich renderer of this typer shows `<bool>` after every flag and keeps the
    # docstrings' line breaks.
    rich_markup_mode=None,
)
app.command()(dev)
app.command()(worker)
app.command("config")(show_config)
app.command("doctor")(doctor)
app.command("transcode")(transcode)
app.command("upload")(upload)
app.command("package")(package)
app.add_typer(functions_app, name="functions")
app.add_typer(db_app, name="db")
app.add_typer(streams_app, name="streams")
app.add_typer(events_app, name="events")
app.add_typer(mail_app, name="mail")
app.add_typer(jobs_app, name="jobs")
app.add_typer(chain_app, name="chain")
app.add_typer(payments_app, name="payments")
app.add_typer(billing_app, name="billing")
app.add_typer(wallet_app, name="wallet")
app.add_typer(ipfs_app, name="ipfs")
app.add_typer(api_app, name="api")
app.add_typer(deploy_app, name="deploy")


def main() -> None:
    app()
