"""The reference deployment, checked through nginx (``make deploy-test``): the whole journey, a
read spike, a rolling deploy, a backup restored, an app node's death under load, and readers
served while no app node answers. The checks run in this order, on one topology."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import uuid

import psycopg
import pyotp
import redis

from campaign.crypto import keyed_hash

from .conftest import CACHE_SECONDS, REDIS_URL, WORKERS_PER_NODE, Site, drop_database, scratch_database
from .topology import BIN, ROOT, Client, Outcome, exec_start, listening, signing_load, wait_until

LETTER = "ban-biometric-surveillance"


def mail_to(site: Site, address: str, subject_part: str = "", timeout: float = 20):  # noqa: ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in site.smtp.to(address) if subject_part in str(m.message["Subject"])]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def link(text: str, part: str) -> str:
    return next(url for url in re.findall(r"https://\S+", text) if part in url)


def moderator(site: Site) -> Client:
    """A moderator created as the README says, logged in through nginx with the second factor."""
    email = f"moderator-{uuid.uuid4().hex[:8]}@example.org"
    output = site.flask("admin", "create", "--role", "moderator", "--password-stdin", email,
                        stdin="a long moderator passphrase\n")
    totp = pyotp.parse_uri(next(line for line in output.splitlines() if line.startswith("otpauth://")))
    client = site.client()
    page = client.request("/admin/login")
    answer = client.request("/admin/login", {"csrf_token": client.hidden(page.body, "csrf_token"), "email": email,
                                             "password": "a long moderator passphrase", "code": totp.now()})
    assert answer.status in (302, 303) and answer.headers["Location"] == "/admin/", answer.body[:500]
    return client


def published_names(site: Site, query: str) -> list[str]:
    answer = site.client().request(f"/api/v1/letters/{LETTER}/signatories?kind=individual&q={query}")
    assert answer.status == 200, answer.body[:300]
    return re.findall(r'"name": ?"([^"]+)"', answer.body)


def test_the_whole_journey_through_nginx(site: Site):
    name = f"Journey {uuid.uuid4().hex[:8]}"
    email = f"journey-{uuid.uuid4().hex[:8]}@example.org"
    person = site.client()

    letter = person.request("/en/")
    assert letter.status == 200 and "strict-transport-security" in {h.lower() for h in letter.headers}  # https seen
    assert person.sign(name, email).status == 303

    message = mail_to(site, email)
    confirm = link(message.text, "/sign/confirm/")
    page = person.request(confirm)
    answer = person.request(confirm, {"csrf_token": person.hidden(page.body, "csrf_token")})
    assert answer.status == 303 and "thank-you" in answer.headers["Location"]

    with psycopg.connect(site.database.replace("+psycopg", "")) as connection:
        (signature_id,) = connection.execute("SELECT id FROM signatures WHERE name = %s", (name,)).fetchone()
    admin = moderator(site)
    queue = admin.request("/admin/")
    assert name in queue.body
    decided = admin.request("/admin/signatures/decide", {
        "csrf_token": admin.hidden(queue.body, "csrf_token"), "back": "/admin/", "ids": str(signature_id),
        "decision": "approve"})
    assert decided.status in (302, 303)

    assert published_names(site, name.split()[-1]) == [name]
    listing = site.client().request(f"/en/signatories?kind=individual&q={name.split()[-1]}")
    assert listing.status == 200 and name in listing.body


def test_nginx_serves_the_fingerprinted_static_files_and_holds_bodies_to_the_apps_limit(site: Site):
    reader = site.client()
    page = reader.request("/en/")
    stylesheet = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]+)"', page.body).group(1)  # type: ignore[union-attr]
    answer = reader.request(stylesheet)
    assert answer.status == 200 and answer.body == (ROOT / "static" / "css" / "site.css").read_text()
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert reader.request("/static/css/site.css").headers["Cache-Control"] == "public, max-age=3600"
    assert not any(node.requests_for(stylesheet) for node in site.nodes)  # nginx answered alone

    too_large = reader.request("/en/sign", {"name": "x" * (64 * 1024)})
    assert too_large.status == 413 and "nginx" in too_large.body  # refused before any app node


def test_nginx_speaks_http2_and_caches_only_what_no_cookie_touches(site: Site):
    head = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_version}", "--http2", "--cacert",
                           str(site.certificate), f"{site.base}/en/"], capture_output=True, text=True, check=True)
    assert head.stdout == "2"

    reader, page = site.client(), f"/en/privacy?first={uuid.uuid4().hex}"  # a page no one asked for yet
    assert reader.request(page).headers["X-Cache-Status"] == "MISS"
    assert reader.request(page).headers["X-Cache-Status"] == "HIT"
    with_cookie = reader.request("/admin/login")  # sets the login form's session cookie: never kept
    assert "Set-Cookie" in with_cookie.headers
    assert reader.request(page).headers["X-Cache-Status"] == "BYPASS"  # this reader now has a cookie
    for _ in range(2):
        assert site.client().request("/admin/login").headers["X-Cache-Status"] == "MISS"
    form = f"/en/sign?fresh={uuid.uuid4().hex}"  # the sign form sets no cookie: kept like any reader page
    assert [site.client().request(form).headers["X-Cache-Status"] for _ in range(2)] == ["MISS", "HIT"]


#: The test's clients connect from this address, nginx reaches the app nodes from 127.0.0.1: two
#: loopback networks (the app keeps a /24), so the app's records say which one it took.
CLIENT_ADDRESS = "127.0.1.2"
FORGED_ADDRESS = "203.0.113.7"


def test_the_app_takes_the_address_nginx_saw_for_exactly_one_hop(site: Site):
    """FLASK_PROXY_FIX_HOPS=1: the app counts and records the client's address, which only nginx's
    X-Forwarded-For carries (with no hop trusted it would see nginx's own, 127.0.0.1), and an
    X-Forwarded-For the client forged changes nothing (with two hops trusted it would win)."""
    names = [f"Hop {uuid.uuid4().hex[:8]}" for _ in range(2)]
    plain, forging = site.client(CLIENT_ADDRESS), site.client(CLIENT_ADDRESS)
    forging.opener.addheaders.append(("X-Forwarded-For", FORGED_ADDRESS))
    assert plain.sign(names[0], f"{names[0][4:]}@example.org").status == 303
    assert forging.sign(names[1], f"{names[1][4:]}@example.org").status == 303
    with psycopg.connect(site.database.replace("+psycopg", "")) as connection:
        hashes = connection.execute("SELECT DISTINCT client_network_hash FROM signatures WHERE name = ANY(%s)",
                                    (names,)).fetchall()
    assert hashes == [(keyed_hash(site.env["FLASK_CLIENT_HASH_KEY"], "127.0.1.0/24"),)]  # the client's network
    # The rate limits counted the same address (Flask-Limiter's keys: …/<prefix>/<address>/<endpoint>/…).
    store, prefix = redis.Redis.from_url(REDIS_URL), site.env["FLASK_RATELIMIT_KEY_PREFIX"]
    assert store.keys(f"*/{prefix}/{CLIENT_ADDRESS}/*") and not store.keys(f"*/{prefix}/{FORGED_ADDRESS}/*")


def stored(site: Site, names: list[str], database: str | None = None) -> set[str]:
    with psycopg.connect((database or site.database).replace("+psycopg", "")) as connection:
        rows = connection.execute("SELECT name FROM signatures WHERE name = ANY(%s)", (names,)).fetchall()
    return {name for (name,) in rows}


def wrk(url: str, seconds: int, connections: int) -> str:
    result = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", url],
                            capture_output=True, text=True, timeout=seconds + 60, check=True)
    return result.stdout


def test_a_read_spike_reaches_the_app_a_few_times_per_cache_period(site: Site):
    path, seconds = "/en/", 10
    before = sum(node.requests_for(path) for node in site.nodes)
    report = wrk(site.base + path, seconds, connections=200)
    reached = sum(node.requests_for(path) for node in site.nodes) - before

    requests = int(re.search(r"(\d+) requests in", report).group(1))  # type: ignore[union-attr]
    assert "Non-2xx" not in report and "Socket errors" not in report, report
    periods = seconds / CACHE_SECONDS
    print(f"read spike: {requests} requests through nginx in {seconds} s, {reached} reached the app nodes")
    assert requests > 20 * periods  # the spike was one
    assert reached <= 2 * (periods + 1), report  # one refresh per cache period, give or take one per node


def test_a_rolling_deploy_under_load_fails_no_request(site: Site):
    """``db upgrade``, then each node reloaded in turn (``systemctl reload campaign-app``: new workers
    on the new code, the old ones finishing their requests) while people sign."""
    outcomes: list[Outcome] = []
    load = threading.Thread(target=lambda: outcomes.extend(signing_load(site.client, 14, 4, "Rolling")))
    load.start()
    time.sleep(2)
    site.flask("db", "upgrade")
    for node in site.nodes:
        old = node.process.children()
        node.process.signal_main(signal.SIGHUP)
        wait_until(lambda node=node, old=old: not node.process.children() & old
                   and len(node.process.children()) == WORKERS_PER_NODE, 30, "the node's new workers")
        time.sleep(2)
    load.join()
    assert_none_failed_and_all_stored(site, outcomes, "rolling deploy")


def test_a_full_restart_of_each_node_drained_first_fails_no_request(site: Site):
    """A new Python or gunicorn needs a restart, not a reload: README's procedure marks the node
    ``down`` in nginx first, restarts it, and puts it back; one node after the other, under load."""
    outcomes: list[Outcome] = []
    load = threading.Thread(target=lambda: outcomes.extend(signing_load(site.client, 14, 4, "Restart")))
    load.start()
    time.sleep(1)
    for index, node in enumerate(list(site.nodes)):
        site.drain({node.port})
        node.process.stop()
        site.nodes[index] = site.new_node(node.port, f"{node.process.name}-restarted").start()
        site.drain(set())
    load.join()
    assert_none_failed_and_all_stored(site, outcomes, "full restarts")
    # both restarted nodes took signatures (the blank form may come from nginx's cache)
    assert all(node.requests_for("/en/sign", "POST") for node in site.nodes)


def test_a_backup_restores_into_a_new_database_that_serves_the_same_list(site: Site):
    for number in range(3):
        assert site.client().sign(f"Backup Person {number}", f"backup-{number}@example.org").status == 303
    site.flask("snapshots", "publish", LETTER)  # as the daily timer does
    # As campaign-backup.service runs it (its %S: /var/lib), with the site's settings.
    command = exec_start("campaign-backup.service", {"%S": str(site.folder / "state")})
    dump = subprocess.run(command, cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=120, check=True)
    assert dump.stdout.startswith(str(site.folder / "state" / "campaign" / "backups") + "/")
    assert "FLASK_EMAIL_HASH_KEY" in dump.stderr and "private key" in dump.stderr  # what to keep elsewhere
    restored_name = f"{site.database.rsplit('/', 1)[1]}_restored"
    restored = scratch_database(restored_name)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored.replace('+psycopg', '')}",
                        dump.stdout.strip()], check=True, capture_output=True, timeout=120)
        node = site.new_node(site.spare_port, "restored", restored).start()
        try:
            original, copy = Client(f"http://127.0.0.1:{site.nodes[1].port}", site.certificate), \
                Client(f"http://127.0.0.1:{site.spare_port}", site.certificate)
            for path in (f"/api/v1/letters/{LETTER}", f"/api/v1/letters/{LETTER}/signatories?kind=individual&limit=200",
                         f"/api/v1/letters/{LETTER}/signatories?kind=organisation", "/en/signatories.csv",
                         f"/api/v1/letters/{LETTER}/snapshots", "/.well-known/snapshot-signing-key"):
                first, second = original.request(path), copy.request(path)
                assert first.status == second.status == 200 and first.body == second.body, path
            # The signed snapshots came back whole: a journalist's verifier accepts the restored chain,
            # and the next snapshot, published on the restored database, continues it.
            kept, key = site.folder / "snapshots-kept.json", site.folder / "snapshot-key.txt"
            kept.write_text(copy.request(f"/api/v1/letters/{LETTER}/snapshots").body)
            key.write_text(copy.request("/.well-known/snapshot-signing-key").body)
            site.flask("snapshots", "publish", LETTER, env={**site.env, "FLASK_SQLALCHEMY_DATABASE_URI": restored})
            count = len(json.loads(kept.read_text())["data"])
            later = site.folder / "snapshots-later.json"
            wait_until(lambda: len(json.loads(copy.request(f"/api/v1/letters/{LETTER}/snapshots").body)["data"])
                       == count + 1, CACHE_SECONDS + 10, "the new snapshot on the list")
            later.write_text(copy.request(f"/api/v1/letters/{LETTER}/snapshots").body)
            verified = subprocess.run([str(BIN / "python"), str(ROOT / "tools" / "verify_snapshot.py"), "chain",
                                       str(later), "--since", str(kept), "--key", str(key)],
                                      capture_output=True, text=True, timeout=60)
            assert verified.returncode == 0 and "unchanged" in verified.stdout, verified.stdout + verified.stderr
            names = [f"Backup Person {number}" for number in range(3)]
            assert stored(site, names, restored) == set(names)
            # The sealed addresses open with the private key kept offline, as before the dump.
            key = site.folder / "seal-private.key"
            key.write_text(site.seal_private_key)
            opened = site.flask("signatures", "export", "--private-key", str(key),
                                env={**site.env, "FLASK_SQLALCHEMY_DATABASE_URI": restored})
            assert all(f"backup-{number}@example.org" in opened for number in range(3))
        finally:
            node.process.stop()
    finally:
        drop_database(restored_name)


def test_an_app_node_killed_under_load_loses_only_its_requests_in_flight(site: Site):
    threads = 6
    outcomes: list[Outcome] = []
    load = threading.Thread(target=lambda: outcomes.extend(signing_load(site.client, 8, threads, "Killed")))
    load.start()
    time.sleep(3)
    killed = site.nodes[0]
    errors_before = site.upstream_errors(killed.port)
    killed_at = time.monotonic()
    killed.process.kill()
    wait_until(lambda: not listening(killed.port), 10, "the node's port to close")
    dead_at = time.monotonic()  # until its last worker died, the kernel still queued connections for it
    load.join()

    failed = [outcome for outcome in outcomes if not outcome.succeeded]
    print(f"node killed: {len(outcomes)} requests, {len(failed)} failed, all POSTs under way while it died")
    # Only requests under way while the node died; a GET is sent to the other node again by nginx.
    assert all(o.method == "POST" and o.started <= dead_at and o.ended >= killed_at for o in failed), failed
    assert len(failed) <= threads
    accepted = [o.name for o in outcomes if o.method == "POST" and o.succeeded]
    assert len(accepted) > 20 and stored(site, accepted) == set(accepted)
    # nginx tried the dead node at most once per request that was under way, then left it alone.
    assert site.upstream_errors(killed.port) - errors_before <= threads


def test_readers_get_stale_pages_while_no_app_node_answers(site: Site):
    reader, page = site.client(), f"/en/privacy?first={uuid.uuid4().hex}"  # a page no one asked for yet
    fresh = reader.request(page)
    assert reader.request(page).headers.get("X-Cache-Status") == "HIT"
    for node in site.nodes:
        node.process.kill()
    time.sleep(2 * CACHE_SECONDS + 1)  # past max-age and stale-while-revalidate: only stale-if-error allows it

    stale = reader.request(page)
    assert stale.status == 200 and stale.headers.get("X-Cache-Status") == "STALE" and stale.body == fresh.body
    assert reader.request("/en/signatories?kind=individual&q=never-asked").status == 502  # nothing kept


def assert_none_failed_and_all_stored(site: Site, outcomes: list[Outcome], what: str) -> None:
    """No request of the load failed, and every signature it sent is stored."""
    failed = [outcome for outcome in outcomes if not outcome.succeeded]
    assert not failed, failed
    accepted = [o.name for o in outcomes if o.method == "POST"]
    print(f"{what}: {len(outcomes)} requests, none failed")
    assert len(accepted) > 20 and stored(site, accepted) == set(accepted)
