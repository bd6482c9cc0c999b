"""The topology, started once for the module and stopped after it (``make deploy-test``).

PostgreSQL: ``DEPLOY_TEST_POSTGRES`` (a database the test may create others beside; by default
``postgres`` on 127.0.0.1 as the user ``postgres``), where the test creates its own databases and
drops them after. Redis: ``TEST_REDIS_URL``. nginx: ``NGINX`` (``/usr/sbin/nginx``).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from campaign.crypto import generate_seal_keypair, generate_signing_key

from ..smtp_sink import SmtpSink
from .topology import (
    BIN,
    NGINX,
    ROOT,
    Client,
    Node,
    Process,
    environment_keys,
    exec_start,
    listening,
    nginx_configuration,
    pick_ports,
    self_signed_certificate,
    wait_until,
)

ADMIN_DSN = os.environ.get("DEPLOY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: The app's Cache-Control for reader pages, shortened so the checks see several cache periods.
CACHE_SECONDS = 2
PUBLIC_CACHE_CONTROL = f"public, max-age={CACHE_SECONDS}, stale-while-revalidate={CACHE_SECONDS}, stale-if-error=600"
WORKERS_PER_NODE = 2


@dataclass
class Site:
    base: str
    folder: Path
    certificate: Path
    nginx: Process
    nodes: list[Node]
    workers: list[Process]
    smtp: SmtpSink
    env: dict[str, str]
    database: str
    seal_private_key: str
    spare_port: int
    nginx_command: list[str]

    def drain(self, nodes: set[int]) -> None:
        """Mark the nodes on these ports ``down`` in the upstream, as README says before a full
        restart (none: every node back), and reload nginx; its old workers finish their requests."""
        site = self.folder / "campaign.conf"
        text = re.sub(r"(server 127\.0\.0\.1:(\d+) max_fails=1 fail_timeout=10s)( down)?;",
                      lambda m: m.group(1) + (" down;" if int(m.group(2)) in nodes else ";"), site.read_text())
        site.write_text(text)
        subprocess.run([*self.nginx_command, "-s", "reload"], check=True, capture_output=True)
        time.sleep(1)  # the new workers took over

    def client(self, source: str | None = None) -> Client:
        """A browser, connecting from ``source`` (a local address) when given."""
        return Client(self.base, self.certificate, source=source)

    def flask(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env or self.env,
                                input=stdin, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def node_environment(self, port: int, database: str | None = None) -> dict[str, str]:
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(WORKERS_PER_NODE)}
        if database:
            env["FLASK_SQLALCHEMY_DATABASE_URI"] = database
        return env

    def new_node(self, port: int, name: str, database: str | None = None) -> Node:
        return Node(port, Process(name, exec_start("campaign-app.service"), self.node_environment(port, database),
                                  self.folder / f"{name}.log"))

    def upstream_errors(self, port: int) -> int:
        """How many times nginx failed to get an answer from the node on ``port`` (its error log)."""
        lines = (self.folder / "error.log").read_text(errors="replace").splitlines()
        return sum(1 for line in lines if "[error]" in line and f'upstream: "http://127.0.0.1:{port}/' in line)


def scratch_database(name: str) -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def signing_key_file(folder: Path) -> Path:
    """The snapshots' signing key, as ``keys generate-signing`` writes it (mode 600)."""
    path = folder / "snapshot-signing.key"
    path.write_text(generate_signing_key()[1] + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("topology")
    names = ["https", "http", "node_a", "node_b", "smtp", "spare"]
    ports = dict(zip(names, pick_ports(len(names)), strict=True))
    certificate, key = self_signed_certificate(folder)
    database_name = f"deploy_{uuid.uuid4().hex[:10]}"
    database = scratch_database(database_name)
    public_key, private_key = generate_seal_keypair()
    smtp = SmtpSink(port=ports["smtp"])
    smtp.start()
    base = f"https://127.0.0.1:{ports['https']}"
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("FLASK_", "GUNICORN_"))},
        "FLASK_SECRET_KEY": secrets.token_urlsafe(48), "FLASK_EMAIL_HASH_KEY": secrets.token_urlsafe(48),
        "FLASK_CLIENT_HASH_KEY": secrets.token_urlsafe(48), "FLASK_SEAL_PUBLIC_KEY": public_key,
        "FLASK_SQLALCHEMY_DATABASE_URI": database, "FLASK_SITE_URL": base,
        "FLASK_MAIL_SERVER": "127.0.0.1", "FLASK_MAIL_PORT": str(ports["smtp"]), "FLASK_MAIL_USE_TLS": "false",
        "FLASK_MAIL_USERNAME": "", "FLASK_MAIL_PASSWORD": "", "FLASK_MAIL_DEFAULT_SENDER": "letter@example.org",
        "FLASK_RATELIMIT_STORAGE_URI": REDIS_URL, "FLASK_PROXY_FIX_HOPS": "1",
        "FLASK_RATELIMIT_FALLBACK_PROCESSES": str(2 * WORKERS_PER_NODE), "GUNICORN_BIND": "127.0.0.1:0",
        # What the checks need besides: signing at load speed, and short cache periods.
        "FLASK_SIGN_MIN_SECONDS": "0", "FLASK_SIGN_RATE_LIMIT": "1000000/minute",
        "FLASK_VERIFICATION_EMAIL_LIMIT": "1000/day", "FLASK_PUBLIC_CACHE_CONTROL": PUBLIC_CACHE_CONTROL,
        "FLASK_OUTBOX_POLL_SECONDS": "0.2", "FLASK_RATELIMIT_KEY_PREFIX": f"deploy-{uuid.uuid4().hex[:8]}",
        "FLASK_SNAPSHOT_SIGNING_KEY_FILE": str(signing_key_file(folder)),
    }
    missing = [name for name in environment_keys() if name not in env]
    assert not missing, f"deploy/campaign.env asks for settings the topology does not set: {missing}"
    nginx = [NGINX, "-p", str(folder), "-c", str(nginx_configuration(folder, ports, certificate, key)),
             "-e", str(folder / "error.log")]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    site = Site(base, folder, certificate, Process("nginx", [*nginx, "-g", "daemon off;"], env, folder / "nginx.log"),
                [], [], smtp, env, database, private_key, ports["spare"], nginx)
    try:
        site.flask("db", "upgrade")
        site.flask("letters", "load")
        site.nodes = [site.new_node(ports["node_a"], "node-a").start(), site.new_node(ports["node_b"], "node-b").start()]
        site.workers = [Process(f"outbox-{n}", exec_start("campaign-outbox@.service"), env,
                                folder / f"outbox-{n}.log").start() for n in (1, 2)]
        site.nginx.start()
        wait_until(lambda: listening(ports["https"]), 10, "nginx")
        yield site
    finally:
        for process in [site.nginx, *site.workers, *(node.process for node in site.nodes)]:
            process.stop()
        smtp.stop()
        drop_database(database_name)
