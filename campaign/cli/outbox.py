"""``flask outbox run``: the worker that delivers queued email."""

from __future__ import annotations

import signal
from types import FrameType

import click
from flask import current_app

from ..mail import delivery


@click.group("outbox", help="Deliver queued email.")
def outbox_group() -> None:
    pass


@outbox_group.command("run", help="Deliver queued email, retrying failures; runs until stopped.")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def run_outbox_command(once: bool) -> None:
    if once:
        report = delivery.deliver_due()
        click.echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}")
        return
    stopping = {"now": False}

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"outbox worker started (transport: {current_app.config['MAIL_TRANSPORT']})")
    delivery.run_worker(current_app.config["OUTBOX_POLL_SECONDS"], should_stop=lambda: stopping["now"])
