"""The app server, measured side by side: gunicorn's sync workers (the default) and granian's WSGI mode.

Each server in turn, on the same scratch database, the same app settings and the same number of
worker processes, one at a time on this machine: signing (one GET and one POST per signature),
the letter page, and the CPU each part of the stack spent per signature (the server's processes,
PostgreSQL's, Redis's, read from ``/proc``); then, under a signing load, one worker killed with
SIGKILL and a graceful reload (SIGHUP), counting failed requests and checking that every accepted
signature is stored. Rounds alternate the servers so that drift of the machine hits both.

    make bench-servers                       # part of make bench
    BENCH_RUNS=1 BENCH_SERVER_SECONDS=10 make bench-servers

Prints a Markdown table for BENCHMARKS.md; granian is adopted as the documented default only if it
is at least 15 % better on signing or reads and as robust (issue 23).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import run as harness
from bench.run import BIN, ROOT, RUNS, SECONDS, WORKERS

SIGN_SECONDS = int(os.environ.get("BENCH_SERVER_SECONDS", "20"))
SEED = int(os.environ.get("BENCH_SERVER_SIGNATURES", "20000"))
TICKS = os.sysconf("SC_CLK_TCK")


def gunicorn(port: int, env: dict, log: Path):
    return harness.process([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                    "--workers", str(WORKERS), "--access-logfile", "/dev/null", "wsgi:app"], env, log)


def granian(port: int, env: dict, log: Path):
    """Granian's WSGI mode with one blocking thread per worker: the same model as a sync worker."""
    return harness.process([str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                    "--workers", str(WORKERS), "--blocking-threads", "1", "--runtime-mode", "st", "--no-ws",
                    "--respawn-failed-workers", "--log-level", "warning", "wsgi:app"],
                   {**env, "FLASK_RATELIMIT_FALLBACK_PROCESSES": str(WORKERS)}, log)


SERVERS = {"gunicorn": gunicorn, "granian": granian}


def tree(root: int) -> list[int]:
    """A process and all its descendants."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += harness.worker_pids(pid)
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (children's are counted with them)
    return total / TICKS


def named(name: str) -> list[int]:
    return [int(pid) for pid in subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()]


def stack_cpu(server: int) -> dict[str, float]:
    return {"app": cpu_seconds(tree(server)), "postgresql": cpu_seconds(named("postgres")),
            "redis": cpu_seconds(named("redis-server"))}


def cpu_ms_per(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    """Milliseconds of CPU per operation for each part, from two readings of ``stack_cpu`` (or more parts)."""
    return {part: (after[part] - before[part]) * 1000 / max(1, count) for part in after}


def signing(base: str, server: int, seconds: int) -> dict:
    before = stack_cpu(server)
    result = harness.wrk(base, "sign.lua", seconds, RUN_ID=secrets.token_hex(4))
    after = stack_cpu(server)
    result["rate"] = result["accepted"] / result["seconds"]
    result["cpu_ms"] = cpu_ms_per(before, after, result["accepted"])
    return result


def faults(base: str, server: int, dsn: str) -> dict:
    """Signing for a while; a worker killed with SIGKILL at a third, a graceful reload at two thirds."""
    seconds = max(9, SIGN_SECONDS)
    stored_before = harness.pg_count(dsn, "SELECT count(*) FROM signatures")
    outcome: dict = {}
    load = threading.Thread(target=lambda: outcome.update(harness.wrk(base, "sign.lua", seconds, RUN_ID=secrets.token_hex(4))))
    load.start()
    time.sleep(seconds / 3)
    os.kill(harness.worker_pids(server)[0], signal.SIGKILL)
    time.sleep(seconds / 3)
    os.kill(server, signal.SIGHUP)
    load.join()
    time.sleep(1)
    outcome["stored"] = harness.pg_count(dsn, "SELECT count(*) FROM signatures") - stored_before
    return outcome


def main() -> None:
    sys.path.insert(0, str(ROOT))
    logs = ROOT / "bench" / "logs"
    logs.mkdir(exist_ok=True)
    dsn = harness.scratch_database("campaign_bench_servers")
    port, smtp_port = harness.free_port(), harness.free_port()
    env = harness.app_environment(dsn, port, smtp_port)
    for command in (["db", "upgrade"], ["letters", "load"], ["demo", "seed", "--signatures", str(SEED)]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=1800)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, list]] = {name: {"signing": [], "letter": []} for name in SERVERS}
    for round_ in range(RUNS):
        for name in (SERVERS if round_ % 2 == 0 else reversed(list(SERVERS))):
            with SERVERS[name](port, env, logs / f"server-{name}.log") as server:
                harness.wait_for(f"{base}/healthz")
                results[name]["signing"].append(signing(base, server.pid, SIGN_SECONDS))
                results[name]["letter"].append(harness.wrk(f"{base}/en/", "get.lua", SECONDS))
                if round_ == 0:
                    results[name]["faults"] = [faults(base, server.pid, dsn)]
            print(f"  {name} round {round_ + 1}: signing {results[name]['signing'][-1]['rate']:.0f}/s, "
                  f"letter {results[name]['letter'][-1]['rate']:.0f}/s", flush=True)
    print(report(results))


def report(results: dict) -> str:
    lines = [f"| server ({WORKERS} workers) | signing, signatures/s | p99 | letter page, requests/s | "
             "CPU per signature: app / PostgreSQL / Redis | SIGKILL of a worker, then SIGHUP, under signing |",
             "|---|---|---|---|---|---|"]
    for name, found in results.items():
        rate = harness.summary([run["rate"] for run in found["signing"]])
        p99 = harness.summary([run["p99_ms"] for run in found["signing"]])
        letter = harness.summary([run["rate"] for run in found["letter"]])
        cpu = {part: harness.summary([run["cpu_ms"][part] for run in found["signing"]])["median"]
               for part in ("app", "postgresql", "redis")}
        fault = found["faults"][0]
        lines.append(
            f"| {name} | {rate['median']:.0f} ({rate['min']:.0f}–{rate['max']:.0f}) | {p99['median']:.0f} ms | "
            f"{letter['median']:,.0f} ({letter['min']:,.0f}–{letter['max']:,.0f}) | "
            f"{cpu['app']:.2f} / {cpu['postgresql']:.2f} / {cpu['redis']:.2f} ms | "
            f"{fault['server_errors']} 5xx, {fault['socket_errors']} socket errors; {fault['accepted']:,} accepted, "
            f"{fault['stored']:,} stored |")
    return "\n".join(lines)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
