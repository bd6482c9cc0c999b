"""``flask outbox run``: the worker that delivers queued email, and makes the delivery packs admins
ask for (each in a child process, so the mail never waits for one: see ``publication.pack_builds``)."""

from __future__ import annotations

import signal
from types import FrameType

import click
from flask import current_app

from ..mail import delivery
from ..publication import pack_builds


@click.group("outbox", help="Deliver queued email.")
def outbox_group() -> None:
    pass


@outbox_group.command("run", help="Deliver queued email, retrying failures; runs until stopped.")
@click.option("--once", is_flag=True, help="Deliver what is due now and make the packs asked for, then exit.")
def run_outbox_command(once: bool) -> None:
    if once:
        report = delivery.deliver_due()
        click.echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}")
        while (build_id := pack_builds.claim_next()) is not None:
            click.echo(f"delivery pack {build_id}: {pack_builds.build(build_id).value}")
        return
    stopping = {"now": False}

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"outbox worker started (transport: {current_app.config['MAIL_TRANSPORT']})")
    packs = pack_builds.Builder(current_app._get_current_object())  # type: ignore[attr-defined]
    delivery.run_worker(current_app.config["OUTBOX_POLL_SECONDS"], should_stop=lambda: stopping["now"],
                        between_batches=packs.poll)
