"""What the database holds after signing: no address in clear, one row per address under concurrency."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, inspect, select, text

from campaign.crypto import unseal
from campaign.mail import delivery
from campaign.models import OutboxMessage, Signature

from .factories import form_fields, sign, signature_data

ADDRESS = "Leila.Sayed+campaign@Mail.Example.org"


def database_dump(db) -> str:
    """Every value of every row of every table, as text."""
    lines = []
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(" ".join(value.hex() if isinstance(value, (bytes, memoryview)) else str(value)
                                      for value in (bytes(v) if isinstance(v, memoryview) else v for v in row)))
    return "\n".join(lines)


def test_a_database_dump_after_signing_names_no_address(app, client, db, smtp, seal_keys):
    assert sign(client, email=ADDRESS).status_code == 303
    with app.app_context():
        assert delivery.deliver_due().sent == 1
    dump = database_dump(db).casefold()
    for fragment in ("leila.sayed", "leila", ADDRESS.casefold(), "leila.sayed@mail.example.org"):
        assert fragment not in dump
    assert "mail.example.org" in dump, "the domain is kept for moderators"

    signature = db.session.scalar(select(Signature))
    assert unseal(seal_keys[1], signature.email_sealed) == "Leila.Sayed+campaign@mail.example.org"
    assert len(signature.email_hash) == 64


def test_the_address_lives_in_the_outbox_only_until_sent(app, client, db, smtp):
    sign(client, email=ADDRESS)
    queued = db.session.scalar(select(OutboxMessage))
    assert queued.recipient.casefold() == ADDRESS.casefold()
    db.session.remove()
    with app.app_context():
        delivery.deliver_due()
    assert db.session.scalar(select(OutboxMessage)).recipient is None


def test_the_client_address_is_kept_only_as_a_keyed_network_hash(app, client, db):
    page = client.get("/en/sign", environ_base={"REMOTE_ADDR": "203.0.113.77"})
    client.post("/en/sign", data={**form_fields(page.get_data(as_text=True)), **signature_data()},
                environ_base={"REMOTE_ADDR": "203.0.113.77"})
    dump = database_dump(db)
    assert "203.0.113" not in dump
    assert db.session.scalar(select(Signature.client_network_hash)) is not None


def test_concurrent_duplicate_submits_leave_one_signature_and_one_email(app, db, backend):
    if backend != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite serialises writers")
    count = 50
    barrier = threading.Barrier(count)
    statuses = []
    stamp = form_fields(app.test_client().get("/en/sign").get_data(as_text=True))["started"]  # the same for all

    def submit():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/en/sign", data={"started": stamp, **signature_data(email=ADDRESS)}).status_code)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [303] * count
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1
    kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.kind)).all()
    assert kinds == ["reminder", "verification"], "one email now, one reminder later"
