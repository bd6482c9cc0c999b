"""Instructions per sign flow, counted by callgrind: how to judge a change to the signing path.

A sign flow is what a signer's browser does: a GET of the sign form, then the POST of a valid
signature with the form's time stamp, each flow through a fresh Flask test client (no cookie
carried over), in-process, against PostgreSQL on a scratch database and Redis as the rate-limit
store, as in production. The app builds every row and form itself: this only posts the form.

The count is ``(instructions for 70 flows - instructions for 20 flows) / 50``, each count a whole
process under ``valgrind --tool=callgrind``: start-up, imports and first requests cancel out.
Repeatable to within about 1%, where a rate measured under load moves by a third between runs.

    make bench-instructions                   # about 5 to 10 minutes on 2 cores
    BENCH_INSTRUCTIONS_PARALLEL=1 make bench-instructions   # both counts at once (quiet machine)

Settings: ``BENCH_POSTGRES`` (an admin DSN; default ``TEST_DATABASE_URL``, then the local ``test``
database), ``BENCH_INSTRUCTIONS_REDIS`` (default ``redis://127.0.0.1:6379/0``; the client limit's keys
and the daily email cap's counters, see ``web.limits.hit``, under a prefix of this run's own, deleted
after). The page caches are kept for an hour: under callgrind a flow takes
some fifty times as long, and caches that expire every few seconds (the pause switch, the replayed
form) would expire far more often per signature than at any real rate.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import secrets
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEW, MANY = 20, 70
SITE_URL = "http://127.0.0.1"  # production settings accept plain http only on loopback
STAMP = re.compile(r'name="started" type="hidden" value="([^"]+)"')


def admin_dsn() -> str:
    dsn = os.environ.get("BENCH_POSTGRES") or os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    return dsn.replace("postgresql+psycopg://", "postgresql://")


def app_environment(dsn: str, key_prefix: str) -> dict[str, str]:
    """The app's settings: production's, with limits that the flows never reach."""
    from campaign.crypto import generate_seal_keypair

    return {
        **os.environ,
        "FLASK_SECRET_KEY": secrets.token_urlsafe(48), "FLASK_EMAIL_HASH_KEY": secrets.token_urlsafe(48),
        "FLASK_CLIENT_HASH_KEY": secrets.token_urlsafe(48), "FLASK_SEAL_PUBLIC_KEY": generate_seal_keypair()[0],
        "FLASK_SQLALCHEMY_DATABASE_URI": dsn.replace("postgresql://", "postgresql+psycopg://"),
        "FLASK_SITE_URL": SITE_URL, "FLASK_DEBUG": "0", "FLASK_SIGN_MIN_SECONDS": "0",
        "FLASK_SIGN_RATE_LIMIT": "1000000/minute", "FLASK_VERIFICATION_EMAIL_LIMIT": "1000/day",
        "FLASK_RATELIMIT_STORAGE_URI": os.environ.get("BENCH_INSTRUCTIONS_REDIS", "redis://127.0.0.1:6379/0"),
        "FLASK_RATELIMIT_KEY_PREFIX": key_prefix,  # slower under callgrind: no timeout may send it to the fallback
        "FLASK_RATELIMIT_STORAGE_OPTIONS": '{"socket_timeout": 10, "socket_connect_timeout": 10}',
        "FLASK_LETTER_PAGE_CACHE_SECONDS": "3600", "FLASK_SIGNING_PAUSE_CACHE_SECONDS": "3600",
    }


def sign_flows(count: int, run_id: str) -> None:
    """``count`` sign flows in this process (the part callgrind counts), each a fresh client."""
    sys.path.insert(0, str(ROOT))
    from campaign import create_app

    app = create_app()
    gc.freeze()  # as gunicorn.conf.py does once the app is loaded
    for number in range(count):
        client = app.test_client()
        page = client.get("/en/sign", base_url=SITE_URL)
        stamp = STAMP.search(page.get_data(as_text=True))
        assert page.status_code == 200 and stamp, page.status_code
        answer = client.post("/en/sign", base_url=SITE_URL, data={
            "started": stamp.group(1), "kind": "individual", "name": f"Instruction Signer {number}", "country": "BR",
            "consent_publish": "y", "email": f"{run_id}-{count}-{number}@bench.example"})
        assert answer.status_code == 303, (answer.status_code, answer.get_data(as_text=True)[:500])


def counted_instructions(count: int, env: dict[str, str], run_id: str) -> int:
    """The instructions of a whole process doing ``count`` flows, from callgrind's totals."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                        "bench.instructions", "--flows", str(count), "--run-id", run_id],
                       env=env, cwd=ROOT, check=True, capture_output=True, timeout=3600)
        totals = re.search(r"^(?:totals|summary): (\d+)", out.read_text(), re.MULTILINE)
        assert totals, "callgrind wrote no totals"
        return int(totals.group(1))


def main() -> None:
    import psycopg
    import redis

    run_id = uuid.uuid4().hex[:10]
    name = f"campaign_instructions_{run_id}"
    admin = admin_dsn()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    key_prefix = f"bench-instructions-{run_id}"
    env = app_environment(admin.rsplit("/", 1)[0] + "/" + name, key_prefix)
    try:
        for command in (["db", "upgrade"], ["letters", "load"]):
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], env=env, cwd=ROOT, check=True,
                           capture_output=True, timeout=600)
        if os.environ.get("BENCH_INSTRUCTIONS_PARALLEL") == "1":
            with ThreadPoolExecutor(2) as pool:
                few, many = pool.map(lambda count: counted_instructions(count, env, run_id), (FEW, MANY))
        else:
            few, many = (counted_instructions(count, env, run_id) for count in (FEW, MANY))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        store = redis.Redis.from_url(env["FLASK_RATELIMIT_STORAGE_URI"])
        for key in store.scan_iter(f"*{key_prefix}*"):  # the client limit's and the email cap's (``LIMITS:LIMITER/<prefix>/…``)
            store.delete(key)
    per_flow = (many - few) / (MANY - FEW)
    print(f"{FEW} flows: {few:,} instructions; {MANY} flows: {many:,}")
    print(f"per sign flow: {per_flow / 1e6:.2f} M instructions")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, help="run this many flows in this process (what callgrind counts)")
    parser.add_argument("--run-id", default="manual")
    arguments = parser.parse_args()
    if arguments.flows is not None:
        sign_flows(arguments.flows, arguments.run_id)
    else:
        main()
