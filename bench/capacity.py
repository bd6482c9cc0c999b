"""A capacity model from measurements on this machine: CPU per signature and per page, by part of
the stack, and PostgreSQL's own ceiling for our signature write; printed as Markdown for BENCHMARKS.md.

1. The app under gunicorn (as deployed), signing and reading, with the CPU time of the app's
   processes, PostgreSQL's and Redis's read from ``/proc`` around each load (bench/servers.py).
2. The same letter page through nginx, configured from the shipped ``deploy/nginx/campaign.conf``
   (as ``make deploy-test`` fills it in, over TLS): nginx's CPU per page served from its cache,
   and what still reaches the app.
3. One outbox worker sending the verification emails the signing load queued to an SMTP sink:
   the worker's CPU and PostgreSQL's per message, once it has sent its first (start-up left out).
4. The statements one signature writes, captured from the app itself (SQLAlchemy's
   ``before_cursor_execute``, during one real sign POST) and replayed by pgbench in a transaction
   with fresh unique values, so PostgreSQL's ceiling is measured without the app in front of it.

    make bench-capacity                      # part of make bench
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import run as harness
from bench import servers
from bench.run import ROOT, SECONDS, WORKERS

PGBENCH_SECONDS = int(os.environ.get("BENCH_PGBENCH_SECONDS", "20"))
PGBENCH_CLIENTS = int(os.environ.get("BENCH_PGBENCH_CLIENTS", "8"))
#: Values that must differ in every replayed transaction, and the SQL that makes a fresh one.
FRESH = {"'BENCH-UNIQUE'": "md5(random()::text || clock_timestamp()::text)",
         "'BENCH-SIGNATURE-ID'": "currval('signatures_id_seq')"}


def captured_signature_write(env: dict) -> list[str]:
    """The SQL one sign POST sends, each statement with its values written in (psycopg's own quoting)."""
    import psycopg
    from sqlalchemy import event

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from campaign import create_app
    from campaign.extensions import db

    app = create_app()
    client = app.test_client()
    statements: list[tuple[str, object, bool]] = []
    with app.app_context():
        engine = db.engine

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append((statement, parameters, executemany))

    site = env["FLASK_SITE_URL"]  # the app answers only for its own host
    form = client.get("/en/sign", base_url=site).get_data(as_text=True)  # the letter and its text read, and cached
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    stamp = re.search(r'name="started" type="hidden" value="([^"]+)"', form)
    event.listen(engine, "before_cursor_execute", capture)
    answer = client.post("/en/sign", base_url=site, data={
        "csrf_token": token.group(1) if token else "", "started": stamp.group(1) if stamp else "",
        "kind": "individual", "name": "Capacity Signer", "country": "BR", "consent_publish": "y",
        "email": "capacity@bench.example"})
    event.remove(engine, "before_cursor_execute", capture)
    assert answer.status_code == 303, answer.status_code
    writes = [(statement, parameters, many) for statement, parameters, many in statements
              if statement.lstrip().upper().startswith("INSERT")]
    rendered = ["SELECT 1;"]  # the pool's ping at checkout
    with psycopg.connect(env["FLASK_SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")) as connection:
        cursor = psycopg.ClientCursor(connection)
        for statement, parameters, many in writes:
            for row in (parameters if many else [parameters]):
                rendered.append(cursor.mogrify(statement, _fresh(row)) + ";")
    return rendered


def _fresh(row: dict) -> dict:
    unique = {"email_hash", "token_hash", "message_id", "public_id"}
    return {key: "BENCH-SIGNATURE-ID" if key == "signature_id" else "BENCH-UNIQUE" if key in unique else value
            for key, value in row.items()}


class PostgresCpu:
    """PostgreSQL's CPU time from now until ``stop``, its backends included: pgbench's connections
    start and end within the run, so each process is read every 0.2 s and its last reading kept
    (what a backend spends in its last 0.2 s is missed: under 2% of a 20 s run)."""

    def __init__(self) -> None:
        self.first = {pid: servers.cpu_seconds([pid]) for pid in servers.named("postgres")}
        self.last = dict(self.first)
        self.running = True
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self) -> None:
        while self.running:
            for pid in servers.named("postgres"):
                seconds = servers.cpu_seconds([pid])
                if seconds:
                    self.last[pid] = seconds
            time.sleep(0.2)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return sum(seconds - self.first.get(pid, 0.0) for pid, seconds in self.last.items())


def pgbench(dsn: str, statements: list[str]) -> dict:
    script = "\n".join(["BEGIN;", *statements, "COMMIT;"])
    for marker, sql in FRESH.items():
        script = script.replace(marker, sql)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script + "\n")
    watch = PostgresCpu()
    finished = subprocess.run(["pgbench", "-n", "-c", str(PGBENCH_CLIENTS), "-j", "2", "-T", str(PGBENCH_SECONDS),
                             "-f", handle.name, dsn], capture_output=True, text=True, timeout=PGBENCH_SECONDS + 120)
    if finished.returncode:  # say why: a unique column the replay does not freshen, say
        raise SystemExit(f"pgbench failed:\n{finished.stderr[-2000:]}")
    output = finished.stdout
    postgres_cpu = watch.stop()
    os.unlink(handle.name)
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    done = int(re.search(r"number of transactions actually processed: (\d+)", output).group(1))
    return {"tps": tps, "transactions": done, "postgres_cpu_ms": postgres_cpu * 1000 / done,
            "statements": len(statements), "bytes": len(script)}


def behind_nginx(app_port: int, app_pid: int, logs) -> dict:  # noqa: ANN001
    """The letter page through nginx in front of the app: CPU per page of nginx (master and
    worker), of the app, PostgreSQL and Redis. nginx's one worker, as in ``make deploy-test``."""
    from tests.deploy.topology import NGINX, listening, nginx_configuration, pick_ports, self_signed_certificate, wait_until

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        https, http = pick_ports(2)
        certificate, key = self_signed_certificate(folder)
        ports = {"node_a": app_port, "node_b": app_port, "https": https, "http": http}
        command = [NGINX, "-p", str(folder), "-c", str(nginx_configuration(folder, ports, certificate, key)),
                   "-e", str(folder / "error.log"), "-g", "daemon off;"]
        with harness.process(command, dict(os.environ), logs / "capacity-nginx.log") as nginx:
            wait_until(lambda: listening(https), 30, "nginx")
            url = f"https://127.0.0.1:{https}/en/"
            harness.wrk(url, "get.lua", 2)  # the cache filled, TLS sessions made
            before = {"nginx": servers.cpu_seconds(servers.tree(nginx.pid)), **servers.stack_cpu(app_pid)}
            page = harness.wrk(url, "get.lua", SECONDS)
            after = {"nginx": servers.cpu_seconds(servers.tree(nginx.pid)), **servers.stack_cpu(app_pid)}
    page["cpu_ms"] = servers.cpu_ms_per(before, after, page["requests"])
    return page


def outbox_cpu(dsn: str, env: dict, smtp_port: int, logs) -> dict:  # noqa: ANN001
    """One outbox worker draining what is due (the signing load's verification emails) into an
    SMTP sink: the worker's and PostgreSQL's CPU per message, from its first message sent."""
    import psycopg

    due = "SELECT count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now()), " \
          "count(*) FILTER (WHERE status = 'sent') FROM outbox_messages"
    sink = [str(harness.BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
            "-c", "aiosmtpd.handlers.Sink"]
    with psycopg.connect(dsn, autocommit=True) as connection, \
            harness.process(sink, env, logs / "capacity-smtp.log"), \
            harness.process([str(harness.BIN / "flask"), "--app", "wsgi", "outbox", "run"], env,
                            logs / "capacity-outbox.log") as worker:
        def progress() -> tuple[int, int]:
            return connection.execute(due).fetchone()  # type: ignore[return-value]

        _, sent_at_start = progress()
        deadline = time.monotonic() + 600
        while progress()[1] == sent_at_start and time.monotonic() < deadline:
            time.sleep(0.05)
        _, sent_first = progress()
        before = servers.stack_cpu(worker.pid)  # "app": the worker's own processes
        started = time.monotonic()
        while progress()[0] and time.monotonic() < deadline:
            time.sleep(0.25)
        after = servers.stack_cpu(worker.pid)
        seconds = time.monotonic() - started
        pending, sent_last = progress()
    sent = sent_last - sent_first
    assert sent > 0 and not pending, f"the outbox did not drain: {pending} left"
    cpu_ms = servers.cpu_ms_per(before, after, sent)
    return {"messages": sent, "rate": sent / seconds, "cpu_ms": {"worker": cpu_ms.pop("app"), **cpu_ms}}


def main() -> None:
    logs = ROOT / "bench" / "logs"
    logs.mkdir(exist_ok=True)
    dsn = harness.scratch_database("campaign_bench_capacity")
    port, smtp_port = harness.free_port(), harness.free_port()
    env = harness.app_environment(dsn, port, smtp_port)
    for command in (["db", "upgrade"], ["letters", "load"], ["demo", "seed", "--signatures", str(servers.SEED)]):
        subprocess.run([str(harness.BIN / "flask"), "--app", "wsgi", *command], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=1800)
    base = f"http://127.0.0.1:{port}"
    with servers.gunicorn(port, env, logs / "capacity-app.log") as app:
        harness.wait_for(f"{base}/healthz")
        signing = servers.signing(base, app.pid, servers.SIGN_SECONDS)
        before = servers.stack_cpu(app.pid)
        letter = harness.wrk(f"{base}/en/", "get.lua", SECONDS)
        after = servers.stack_cpu(app.pid)
        cached = behind_nginx(port, app.pid, logs)
    page_ms = servers.cpu_ms_per(before, after, letter["requests"])
    mail = outbox_cpu(dsn.replace("+psycopg", ""), env, smtp_port, logs)
    write = pgbench(dsn, captured_signature_write(env))
    print(report(signing, letter, page_ms, cached, mail, write))


def report(signing: dict, letter: dict, page_ms: dict, cached: dict, mail: dict, write: dict) -> str:
    cpu = signing["cpu_ms"]
    per_signature = cpu["app"] + cpu["postgresql"] + cpu["redis"]
    lines = [
        f"Measured ({time.strftime('%Y-%m-%d')}, {WORKERS} gunicorn workers, {os.cpu_count()} cores):",
        "",
        "| per | app | PostgreSQL | Redis | measured rate |",
        "|---|---|---|---|---|",
        f"| signature (form + POST) | {cpu['app']:.2f} ms | {cpu['postgresql']:.2f} ms | {cpu['redis']:.2f} ms | "
        f"{signing['rate']:.0f}/s, p99 {signing['p99_ms']:.0f} ms |",
        f"| letter page, without a proxy cache | {page_ms['app']:.3f} ms | {page_ms['postgresql']:.3f} ms | "
        f"{page_ms['redis']:.3f} ms | {letter['rate']:,.0f}/s |",
        f"| letter page behind nginx, from its cache (TLS, one nginx worker) | {cached['cpu_ms']['app']:.3f} ms; "
        f"nginx {cached['cpu_ms']['nginx']:.3f} ms | {cached['cpu_ms']['postgresql']:.3f} ms | "
        f"{cached['cpu_ms']['redis']:.3f} ms | {cached['rate']:,.0f}/s |",
        f"| outbox message (a verification email, one worker, to an SMTP sink) | {mail['cpu_ms']['worker']:.2f} ms "
        f"(worker) | {mail['cpu_ms']['postgresql']:.2f} ms | {mail['cpu_ms']['redis']:.2f} ms | {mail['rate']:,.0f}/s |",
        f"| signature write alone (pgbench, {write['statements']} statements in one transaction, "
        f"{PGBENCH_CLIENTS} clients) | | {write['postgres_cpu_ms']:.2f} ms | | {write['tps']:,.0f}/s |",
        "",
        "Extrapolated (cores busy at 100% for the CPU above; add headroom):",
        "",
        "| signatures/s | app cores (web) | outbox cores | PostgreSQL cores | Redis cores |",
        "|---|---|---|---|---|",
    ]
    postgres_ms = cpu["postgresql"] + mail["cpu_ms"]["postgresql"]  # the signature, and sending its email
    for rate in (100, 1000, 10000):
        lines.append(f"| {rate:,} | {rate * cpu['app'] / 1000:.1f} | {rate * mail['cpu_ms']['worker'] / 1000:.1f} | "
                     f"{rate * postgres_ms / 1000:.1f} | {rate * cpu['redis'] / 1000:.2f} |")
    lines += ["", f"One app core: about {1000 / cpu['app']:.0f} signatures/s; one PostgreSQL core: about "
              f"{1000 / cpu['postgresql']:.0f} behind the app, {1000 / write['postgres_cpu_ms']:.0f} for the bare write; "
              f"the whole stack: {per_signature + mail['cpu_ms']['worker'] + mail['cpu_ms']['postgresql']:.2f} ms of CPU "
              f"per signature, its email included; app CPU (web and outbox): "
              f"{cpu['app'] + mail['cpu_ms']['worker']:.2f} ms."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
