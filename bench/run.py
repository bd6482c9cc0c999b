"""The benchmark: the real stack on this machine, driven over loopback by wrk, written to BENCHMARKS.md.

Starts PostgreSQL's scratch database, gunicorn (the app and a bare-Flask ceiling app, same
settings), the outbox workers and an SMTP sink; seeds N signatures; runs each measurement
BENCH_RUNS times and reports the median with min–max. Everything is bounded in time.

    make bench                                  # 1,350,000 signatures (1,000,000 public), 3 runs
    BENCH_SIGNATURES=100000 BENCH_RUNS=1 make bench  # smaller and quicker
    BENCH_SMOKE=1 make bench                    # a few seconds: does the harness still work?
    BENCH_ONLY=ceilings,signing make bench      # some parts only; prints them, writes nothing
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK_DIR = ROOT / "bench" / "wrk"
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
# 1,350,000 demo signatures put about 1,000,000 on the public list and in its CSV (published and listed).
SIGNATURES = int(os.environ.get("BENCH_SIGNATURES", "2000" if SMOKE else "1350000"))
RUNS = int(os.environ.get("BENCH_RUNS", "1" if SMOKE else "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2" if SMOKE else "15"))
SIGN_SECONDS = int(os.environ.get("BENCH_SIGN_SECONDS", "3" if SMOKE else "60"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", str(2 * (os.cpu_count() or 2))))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
ADMIN_DSN = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/1")
ONLY = {part for part in os.environ.get("BENCH_ONLY", "").split(",") if part}
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", ROOT / ("BENCHMARKS.smoke.md" if SMOKE else "BENCHMARKS.md")))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def scratch_database(name: str) -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


@contextmanager
def process(args: list[str], env: dict, log: Path):
    handle = open(log, "w")  # noqa: SIM115  (closed when the process is stopped, below)
    child = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        yield child
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
        handle.close()


def wrk(url: str, script: str, seconds: int, connections: int = CONNECTIONS, threads: int = 2, **env) -> dict:
    environment = {**os.environ, "BENCH_WRK_DIR": str(WRK_DIR), **env}
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(WRK_DIR / script), url],
        env=environment, capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rate"] = result["requests"] / result["seconds"]
    return result


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def pg_count(dsn: str, sql: str) -> int:
    with psycopg.connect(dsn) as connection:
        return connection.execute(sql).fetchone()[0]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    with psycopg.connect(ADMIN_DSN) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    return (f"{os.cpu_count()} × {cpu}, {int(memory) // 1024 // 1024} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {postgres}")


def app_environment(dsn: str, port: int, smtp_port: int) -> dict:
    from campaign.crypto import generate_seal_keypair

    return {
        **os.environ,
        "FLASK_SECRET_KEY": secrets.token_urlsafe(48), "FLASK_EMAIL_HASH_KEY": secrets.token_urlsafe(48),
        "FLASK_CLIENT_HASH_KEY": secrets.token_urlsafe(48), "FLASK_SEAL_PUBLIC_KEY": generate_seal_keypair()[0],
        "FLASK_SQLALCHEMY_DATABASE_URI": dsn.replace("postgresql://", "postgresql+psycopg://"),
        "FLASK_SITE_URL": f"http://127.0.0.1:{port}", "FLASK_MAIL_SERVER": "127.0.0.1",
        "FLASK_MAIL_PORT": str(smtp_port), "FLASK_SIGN_MIN_SECONDS": "0",
        "FLASK_SIGN_RATE_LIMIT": "1000000/minute", "FLASK_VERIFICATION_EMAIL_LIMIT": "1000/day",
        "FLASK_OUTBOX_BATCH_SIZE": "200", "FLASK_DEBUG": "0", "FLASK_RATELIMIT_STORAGE_URI": REDIS_URL,
    }


def gunicorn(target: str, port: int, env: dict, log: Path):
    return process([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                    "--workers", str(WORKERS), "--access-logfile", "/dev/null", target], env, log)


def measure(label: str, runs: int, action) -> dict:
    results = [action() for _ in range(runs)]
    print(f"  {label}: {[round(r['rate'], 1) for r in results]}", flush=True)
    return {"runs": results, **{key: summary([r[key] for r in results]) for key in ("rate", "p50_ms", "p95_ms", "p99_ms")}}


def queue_backlog(dsn: str, count: int) -> None:
    """Verification-sized messages straight into the outbox, so mail is measured on a real backlog."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO outbox_messages (kind, status, recipient, subject, body_text, body_html, message_id, "
            "attempts, created_at, next_attempt_at) SELECT 'bench', 'pending', 'reader' || g || '@bench.example', "
            "'Confirm your signature', repeat(E'A line of the verification email.\\n', 30), "
            "repeat(E'<p>A line of the verification email.</p>\\n', 30), "
            "'<bench-' || g || '-' || %s || '@bench.example>', 0, now(), now() FROM generate_series(1, %s) g",
            (secrets.token_hex(6), count))


def drain_rate(dsn: str, env: dict, workers: int, logs: Path, limit_seconds: int) -> dict:
    """Emails per second from the outbox to the SMTP sink with ``workers`` worker processes,
    counted from the first message sent (process start-up is not mail throughput). Progress is read
    over one connection four times a second: a new connection per look would cost PostgreSQL a
    process start each time, on the cores the workers are measured on."""
    # Pending means due now: a reminder queued for tomorrow is not part of the backlog.
    progress = ("SELECT count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now()), "
                "count(*) FILTER (WHERE status = 'sent') FROM outbox_messages")
    with psycopg.connect(dsn, autocommit=True) as connection:
        backlog, baseline = connection.execute(progress).fetchone()
        launched = time.monotonic()
        children = [process([str(BIN / "flask"), "--app", "wsgi", "outbox", "run"], env, logs / f"worker{n}.log")
                    for n in range(workers)]
        for child in children:
            child.__enter__()
        first_at = first_count = None
        try:
            while time.monotonic() - launched < limit_seconds:
                pending, sent = connection.execute(progress).fetchone()
                if first_at is None and sent > baseline:
                    first_at, first_count = time.monotonic(), sent - baseline
                if pending == 0:
                    break
                time.sleep(0.25)
            drained_at = time.monotonic()
        finally:
            for child in children:
                child.__exit__(None, None, None)
        total = connection.execute(progress).fetchone()[1] - baseline
    window = drained_at - (first_at or launched)
    return {"rate": (total - (first_count or 0)) / window if window > 0 else 0.0, "sent": total,
            "backlog": backlog, "seconds": drained_at - launched, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}


def page_urls(dsn: str, base: str) -> dict[str, str]:
    """First, middle and last page of the individuals list (name order), by the same cursors the site makes."""
    from campaign.publication.listing import encode_cursor

    with psycopg.connect(dsn) as connection:
        total = connection.execute(
            "SELECT count(*) FROM signatures WHERE status = 'published' AND kind = 'individual' AND consent_publish"
        ).fetchone()[0]

        def cursor_at(offset: int) -> str:
            text, identifier = connection.execute(
                "SELECT search_text, id FROM signatures WHERE status = 'published' AND kind = 'individual' "
                "AND consent_publish ORDER BY search_text, id OFFSET %s LIMIT 1", (max(offset - 1, 0),)).fetchone()
            return encode_cursor([text, identifier])

        middle, last = cursor_at(total // 2), cursor_at(max(total - 100, 1))
    start = encode_cursor(["", 0])  # before the first row: the first page, but past the per-process cache
    return {
        "list first": f"{base}/en/signatories?kind=individual&after={start}",
        "list middle": f"{base}/en/signatories?kind=individual&after={middle}",
        "list last": f"{base}/en/signatories?kind=individual&after={last}",
        "API first": f"{base}/api/v1/letters/ban-biometric-surveillance/signatories?kind=individual",
        "API middle": f"{base}/api/v1/letters/ban-biometric-surveillance/signatories?kind=individual&cursor={middle}",
        "API last": f"{base}/api/v1/letters/ban-biometric-surveillance/signatories?kind=individual&cursor={last}",
    }


def worker_pids(master: int) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in output.split()]


def peak_rss_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return max(peaks)


def export(base: str, master: int) -> dict:
    started = time.monotonic()
    rows = 0
    with urllib.request.urlopen(f"{base}/en/signatories.csv", timeout=600) as response:
        for _ in response:
            rows += 1
    return {"seconds": time.monotonic() - started, "rows": rows - 1, "peak_rss_mb": peak_rss_mb(worker_pids(master))}


def wanted(part: str) -> bool:
    return not ONLY or part in ONLY


def main() -> None:
    sys.path.insert(0, str(ROOT))
    logs = ROOT / "bench" / "logs"
    logs.mkdir(exist_ok=True)
    print(f"benchmark: {SIGNATURES:,} signatures, {RUNS} run(s), {WORKERS} gunicorn workers", flush=True)
    dsn = scratch_database("campaign_bench")
    ceiling_dsn = scratch_database("campaign_bench_ceiling")
    app_port, ceiling_port, smtp_port = free_port(), free_port(), free_port()
    env = app_environment(dsn, app_port, smtp_port)
    base, ceiling = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{ceiling_port}"

    def flask(*args: str) -> str:
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], env=env, cwd=ROOT, check=True,
                              capture_output=True, text=True, timeout=3600).stdout

    flask("db", "upgrade")
    flask("letters", "load")
    started = time.monotonic()
    flask("demo", "seed", "--signatures", str(SIGNATURES))
    seed_seconds = time.monotonic() - started
    print(f"  seeded {SIGNATURES:,} in {seed_seconds:.0f}s", flush=True)
    published = pg_count(dsn, "SELECT count(*) FROM signatures WHERE status = 'published'")
    public = pg_count(dsn, "SELECT count(*) FROM signatures WHERE status = 'published' "
                           "AND (kind = 'organisation' OR consent_publish)")
    with psycopg.connect(ceiling_dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE ceiling_rows (id serial PRIMARY KEY, name text, email text)")
    results: dict = {"seed_seconds": seed_seconds, "published": published, "public": public}
    sink = [str(BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}", "-c", "aiosmtpd.handlers.Sink"]
    ceiling_env = {**env, "BENCH_CEILING_DSN": ceiling_dsn}
    with process(sink, env, logs / "smtp.log"), \
            gunicorn("wsgi:app", app_port, env, logs / "app.log") as app, \
            gunicorn("bench.ceiling_app:app", ceiling_port, ceiling_env, logs / "ceiling.log"):
        wait_for(f"{base}/healthz")
        wait_for(f"{ceiling}/hello")
        if wanted("ceilings"):
            print("ceilings", flush=True)
            results["hello"] = measure("hello", RUNS, lambda: wrk(f"{ceiling}/hello", "get.lua", SECONDS))
            results["insert"] = measure("insert POST", RUNS, lambda: wrk(ceiling, "insert.lua", SECONDS))
            results["table"] = measure("100-row table", RUNS, lambda: wrk(f"{ceiling}/table", "get.lua", SECONDS))
        if wanted("reading"):
            print("reading", flush=True)
            letter = urllib.request.urlopen(f"{base}/en/")
            etag = letter.headers["ETag"]
            results["letter"] = measure("letter", RUNS, lambda: wrk(f"{base}/en/", "get.lua", SECONDS))
            results["letter 304"] = measure("letter 304", RUNS, lambda: wrk(f"{base}/en/", "get.lua", SECONDS, ETAG=etag))
        if wanted("list"):
            print("list", flush=True)
            for label, url in page_urls(dsn, base).items():
                results[label] = measure(label, RUNS, lambda url=url: wrk(url, "get.lua", SECONDS, connections=1, threads=1))
            results["list page rate"] = measure("list page rate", RUNS,
                                                lambda: wrk(f"{base}/en/signatories?kind=individual", "get.lua", SECONDS))
        if wanted("signing"):
            print("signing", flush=True)
            before = pg_count(dsn, "SELECT count(*) FROM signatures")
            results["signing"] = measure("signing", RUNS, lambda: wrk(base, "sign.lua", SIGN_SECONDS,
                                                                       RUN_ID=secrets.token_hex(4)))
            for run in results["signing"]["runs"]:
                run["rate"] = run["accepted"] / run["seconds"]
            results["signing"]["rate"] = summary([run["rate"] for run in results["signing"]["runs"]])
            results["signing stored"] = pg_count(dsn, "SELECT count(*) FROM signatures") - before
            results["signing accepted"] = sum(run["accepted"] for run in results["signing"]["runs"])
        if wanted("mail"):
            print("mail", flush=True)
            results["mail drain after signing"] = drain_rate(dsn, env, 2, logs, 60 if SMOKE else 300)
            backlog = 500 if SMOKE else 6000
            for workers in (1, 2):
                def run(workers=workers):
                    queue_backlog(dsn, backlog)
                    return drain_rate(dsn, env, workers, logs, 20 if SMOKE else 90)
                results[f"mail {workers} worker{'s' if workers > 1 else ''}"] = measure(f"mail {workers}", RUNS, run)
        if wanted("spike"):
            print("spike", flush=True)
            before = pg_count(dsn, "SELECT count(*) FROM signatures")
            spike = wrk(base, "sign.lua", 10 if not SMOKE else 2, connections=CONNECTIONS * 5, threads=2,
                        RUN_ID=secrets.token_hex(4))
            spike["stored"] = pg_count(dsn, "SELECT count(*) FROM signatures") - before
            spike["drain"] = drain_rate(dsn, env, 2, logs, 120 if not SMOKE else 20)
            results["spike"] = spike
        if wanted("export"):
            print("export", flush=True)
            results["export"] = export(base, app.pid)
    if ONLY:
        for label, result in results.items():
            print(f"  {label}: " + (json.dumps({key: result[key] for key in ("rate", "p50_ms", "p99_ms") if key in result},
                                               default=str) if isinstance(result, dict) else str(result)))
        return
    results["machine"] = machine()
    write_report(results)
    if SMOKE:
        problems = smoke_problems(results)
        if problems:
            sys.exit("benchmark smoke run failed: " + "; ".join(problems))


def smoke_problems(results: dict) -> list[str]:
    """What the smoke run (in CI) checks: the harness ran end to end and nothing was lost. No timings."""
    problems = []
    for label, runs in (("signing", results["signing"]["runs"]), ("spike", [results["spike"]])):
        if any(run["server_errors"] for run in runs):
            problems.append(f"{label}: server errors")
    if results["signing stored"] < results["signing accepted"]:
        problems.append("signing: fewer signatures stored than accepted")
    if results["spike"]["stored"] < results["spike"]["accepted"]:
        problems.append("spike: fewer signatures stored than accepted")
    if results["export"]["rows"] != results["public"]:
        problems.append(f"export: {results['export']['rows']} rows for {results['public']} public signatures")
    if results["mail drain after signing"]["sent"] < results["mail drain after signing"]["backlog"]:
        problems.append("mail: the queue was not drained")
    return problems


def ratio(results: dict, key: str, ceiling: str) -> float:
    return results[key]["rate"]["median"] / results[ceiling]["rate"]["median"]


def fmt(stat: dict, unit: str = "/s", digits: int = 0) -> str:
    return f"{stat['median']:,.{digits}f}{unit} ({stat['min']:,.{digits}f}–{stat['max']:,.{digits}f})"


def write_report(results: dict) -> None:
    command = " ".join(f"{key}={os.environ[key]}" for key in sorted(os.environ) if key.startswith("BENCH_"))
    lines = [
        f"| measurement | result (median, min–max of {RUNS}) | ratio | target |",
        "|---|---|---|---|",
        f"| ceiling: bare Flask hello | {fmt(results['hello']['rate'])} | 1.00 | |",
        f"| ceiling: form POST + one-row insert | {fmt(results['insert']['rate'])} | 1.00 | |",
        f"| ceiling: 100-row Jinja table | {fmt(results['table']['rate'])} | 1.00 | |",
        f"| signing (GET form + POST), signatures/s | {fmt(results['signing']['rate'])} | "
        f"{ratio(results, 'signing', 'insert'):.2f} of insert | ≥ 300/s, ≥ 0.50 |",
        f"| signing latency p50 / p95 / p99 | {results['signing']['p50_ms']['median']:.0f} / "
        f"{results['signing']['p95_ms']['median']:.0f} / {results['signing']['p99_ms']['median']:.0f} ms; "
        f"{sum(run['server_errors'] for run in results['signing']['runs'])} 5xx | | p99 < 250 ms, 0 5xx |",
        f"| mail, 1 worker (backlog of verification-sized messages) | {fmt(results['mail 1 worker']['rate'])} | | ≥ 300/s |",
        f"| mail, 2 workers | {fmt(results['mail 2 workers']['rate'])} | | ≥ 300/s |",
        f"| letter page | {fmt(results['letter']['rate'])} | {ratio(results, 'letter', 'hello'):.2f} of hello | ≥ 0.50 |",
        f"| letter page, conditional 304 | {fmt(results['letter 304']['rate'])} | "
        f"{ratio(results, 'letter 304', 'hello'):.2f} of hello | ≥ 0.70 |",
        f"| list page (first, as readers get it), requests/s | {fmt(results['list page rate']['rate'])} | "
        f"{ratio(results, 'list page rate', 'table'):.2f} of table | ≥ 0.50 |",
    ]
    for kind in ("list", "API"):
        first, middle, last = (results[f"{kind} {where}"]["p50_ms"]["median"] for where in ("first", "middle", "last"))
        lines.append(f"| {kind}: first / middle / last page latency (p50, uncached) | {first:.1f} / {middle:.1f} / {last:.1f} ms "
                     f"| last/first {last / first:.2f} | ≤ 1.20 |")
    export_result, spike = results["export"], results["spike"]
    lines += [
        f"| public CSV of {export_result['rows']:,} rows | {export_result['seconds']:.1f} s, peak worker RSS "
        f"{export_result['peak_rss_mb']:.0f} MB | | ≤ 15 s, ≤ 150 MB |",
        f"| spike: {CONNECTIONS * 5} connections signing for {spike['seconds']:.0f} s | {spike['accepted']:,} accepted, "
        f"{spike['server_errors']} 5xx, {spike['socket_errors']} socket errors, {spike['stored']:,} stored; queue drained "
        f"in {spike['drain']['seconds']:.0f} s | | 0 5xx, stored = accepted |",
    ]
    report = "\n".join([
        "# Benchmarks", "",
        f"Machine: {results['machine']}.", "",
        f"Stack: gunicorn ({WORKERS} sync workers, `gunicorn.conf.py`), PostgreSQL, the outbox worker, an aiosmtpd "
        f"sink; load from wrk over loopback ({CONNECTIONS} connections, 2 threads) on the same machine. "
        f"{SIGNATURES:,} demo signatures seeded in {results['seed_seconds']:.0f} s: {results['published']:,} published, "
        f"{results['public']:,} of them on the public list and in its CSV.", "",
        f"Reproduce: `{command + ' ' if command else ''}make bench`", "",
        *lines, "",
        f"Signing accounting: {results['signing accepted']:,} POSTs accepted, {results['signing stored']:,} signatures "
        f"stored (a few more stored than counted is normal: wrk stops with requests in flight). Two outbox "
        f"workers then sent the {results['mail drain after signing']['backlog']:,} queued verification emails "
        f"({results['mail drain after signing']['sent']:,} sent) in {results['mail drain after signing']['seconds']:.0f} s.",
        "",
    ])
    existing = OUTPUT.read_text() if OUTPUT.exists() else ""
    notes = existing.split("<!-- notes -->", 1)[1] if "<!-- notes -->" in existing else "\n"
    OUTPUT.write_text(report + "<!-- notes -->" + notes)
    print(report)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # unwind, so every child process is stopped
    main()
