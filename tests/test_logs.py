"""Logs name nobody: no address, token, password or client IP in any line; security events in UTC."""

from __future__ import annotations

import logging
import re

from campaign.logs import FORMAT, UTCFormatter, redact

from .factories import ADMIN_PASSWORD, links_in, log_in, make_admin
from .test_signing import csrf_of, deliver

ADDRESS = "leila.sayed@mail.example.org"
CLIENT_IP = "203.0.113.99"


def test_a_whole_journey_leaves_no_personal_data_in_the_logs(app, client, db, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    environ = {"REMOTE_ADDR": CLIENT_IP}
    page = client.get("/en/sign", environ_base=environ)
    from .factories import form_fields, signature_data

    client.post("/en/sign", data={**form_fields(page.get_data(as_text=True)), **signature_data(email=ADDRESS)},
                environ_base=environ)
    deliver(app)
    links = links_in(smtp.wait_for(1)[0].text)
    client.post(links["confirm"], data=csrf_of(client, links["confirm"]))
    admin = make_admin("admin@campaign.example", role="admin")
    log_in(client, admin, code="000000")
    log_in(client, admin)
    client.get("/admin/export.csv")
    app.config["SIGN_RATE_LIMIT"] = "1/minute"
    client.post("/en/sign", data={}, environ_base=environ)
    client.post("/en/sign", data={}, environ_base=environ)
    tokens = [link.rsplit("/", 1)[1] for link in links.values()]
    logging.getLogger("werkzeug").info('%s - - "GET %s HTTP/1.1" 200 -', CLIENT_IP, links["confirm"])

    lines = [record.getMessage() for record in caplog.records]
    assert lines, "the journey logged something"
    text = "\n".join(lines)
    for secret in (ADDRESS, "leila", "admin@campaign.example", CLIENT_IP, ADMIN_PASSWORD, *tokens):
        assert secret not in text
    events = [line for line in lines if line.startswith(("login.", "admin.", "rate_limit."))]
    assert any(line.startswith("login.failed") and "reason=second_factor" in line for line in events)
    assert any(line.startswith("login.succeeded") for line in events)
    assert any(line.startswith("admin.export.downloaded") for line in events)
    assert any(line.startswith("rate_limit.tripped") for line in events)
    assert '"GET /en/sign/confirm/[token] HTTP/1.1"' in text and "[ip] - -" in text


def test_newlines_and_control_characters_are_escaped():
    assert redact("forged\nINFO admin logged in\x1b[2J") == "forged\\nINFO admin logged in\\x1b[2J"


def test_lines_are_stamped_in_utc():
    formatter = UTCFormatter(FORMAT)
    record = logging.LogRecord("campaign.security", logging.WARNING, __file__, 1, "event", None, None)
    record.created, record.msecs = 0, 0
    assert formatter.format(record).startswith("1970-01-01 00:00:00,000Z WARNING campaign.security: event")


def test_timestamps_and_ordinary_numbers_survive_redaction():
    line = "sent 12 messages at 06:09:28, version 1.2 of 2026-11-22"
    assert redact(line) == line
    assert re.fullmatch(r"\[ip\]", redact("2001:db8::7"))


def test_a_partners_private_link_is_not_written_to_the_log():
    from campaign.logs import redact

    line = '127.0.0.1 - - "GET /ar/partners/KZ35nw1MabcDEF_-x HTTP/1.1" 200 and "POST /admin/partners/3/link HTTP/1.1"'
    redacted = redact(line)
    assert "KZ35nw1M" not in redacted and "/ar/partners/[token]" in redacted
    assert "/admin/partners/3/link" in redacted  # an admin's page names no secret


def test_libraries_routine_steps_stay_out_of_the_log_and_their_warnings_do_not(app):
    """A pack's layout logs every WeasyPrint step at INFO; the operator's log keeps only warnings."""
    for name in ("weasyprint.progress", "pikepdf._core"):
        chatty = logging.getLogger(name)
        assert not chatty.isEnabledFor(logging.INFO) and chatty.isEnabledFor(logging.WARNING)
