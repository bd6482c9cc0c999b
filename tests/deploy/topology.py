"""The reference deployment on one machine: nginx with the shipped site file, two app nodes
(gunicorn as ``deploy/systemd/campaign-app.service`` starts it, each on its own port, standing for
two machines), two outbox workers (``campaign-outbox@.service``), PostgreSQL and Redis.

Everything here is read from ``deploy/``: the site file with its placeholders filled in for
loopback, the units' ``ExecStart`` lines, the environment file's keys. Nothing is a second copy.
"""

from __future__ import annotations

import getpass
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
SHIPPED_ROOT = "/srv/campaign"  # where the units expect the checkout
PLACEHOLDER = re.compile(r"@[A-Z0-9_]+@")
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")


def render(template: Path, values: dict[str, str]) -> str:
    """The file with every ``@NAME@`` outside comments replaced; refuses one left unfilled."""
    lines = []
    for line in template.read_text().splitlines():
        if not line.lstrip().startswith("#"):
            for name, value in values.items():
                line = line.replace(f"@{name}@", value)
            assert not PLACEHOLDER.search(line), f"{template.name}: unfilled placeholder in {line!r}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def exec_start(unit: str, specifiers: dict[str, str] | None = None) -> list[str]:
    """A unit's command, with this virtualenv and checkout where the unit names ``/srv/campaign``
    and the given values for systemd's specifiers (``{"%S": folder}``)."""
    text = (DEPLOY / "systemd" / unit).read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert re.search(rf"^WorkingDirectory={SHIPPED_ROOT}$", text, re.MULTILINE), unit
    command = command.replace(f"{SHIPPED_ROOT}/.venv/bin/", f"{BIN}/").replace(f"{SHIPPED_ROOT}/", f"{ROOT}/")
    for specifier, value in (specifiers or {}).items():
        command = command.replace(specifier, value)
    return command.split()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    return certificate, key


def nginx_configuration(folder: Path, ports: dict[str, int], certificate: Path, key: Path) -> Path:
    """What Debian's /etc/nginx/nginx.conf gives the site (the http context, MIME types), with
    every path in the test's folder, and the shipped site file included, its placeholders filled."""
    site = folder / "campaign.conf"
    site.write_text(render(DEPLOY / "nginx" / "campaign.conf", {
        "APP_NODE_1": f"127.0.0.1:{ports['node_a']}", "APP_NODE_2": f"127.0.0.1:{ports['node_b']}",
        "CACHE_DIR": str(folder / "cache"), "SERVER_NAME": "127.0.0.1", "HTTP_LISTEN": f"127.0.0.1:{ports['http']}",
        "HTTPS_LISTEN": f"127.0.0.1:{ports['https']}", "CERTIFICATE": str(certificate),
        "CERTIFICATE_KEY": str(key), "APP_ROOT": str(ROOT), "LOG_DIR": str(folder),
    }))
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    temporary = "\n".join(f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                               "scgi"))
    main = folder / "nginx.conf"
    main.write_text(f"""{user}
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} notice;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  access_log {folder / 'access.log'};
{temporary}
  include {site};
}}
""")
    return main


def environment_keys() -> list[str]:
    """The settings ``deploy/campaign.env`` asks an operator to set (its uncommented lines)."""
    lines = (DEPLOY / "campaign.env").read_text().splitlines()
    return [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports(count: int) -> list[int]:
    """``DEPLOY_TEST_PORT_BASE`` (5500) and the ports after it; any port taken is replaced by a free one."""
    base = int(os.environ.get("DEPLOY_TEST_PORT_BASE", "5500"))
    ports = []
    for port in range(base, base + count):
        if not port_is_free(port):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        ports.append(port)
    return ports


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Process:
    """A process in its own session, so that it and its children can be signalled together."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        self.popen = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self.log.open("ab"),
                                      stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def signal(self, number: int) -> None:
        assert self.popen is not None
        os.killpg(self.popen.pid, number)

    def signal_main(self, number: int) -> None:
        """Signal the main process only (gunicorn's master), not its children."""
        assert self.popen is not None
        os.kill(self.popen.pid, number)

    def kill(self) -> None:
        """What a machine's sudden death does: the process and every child gone at once."""
        if self.popen is not None and self.popen.poll() is None:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def children(self) -> set[int]:
        assert self.popen is not None
        path = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        return {int(pid) for pid in path.read_text().split()} if path.exists() else set()


@dataclass
class Node:
    """One app node: gunicorn as the unit starts it, on its own port."""

    port: int
    process: Process

    def start(self) -> Node:
        self.process.start()
        wait_until(lambda: listening(self.port), 30, f"app node on {self.port}")
        wait_until(lambda: len(self.process.children()) >= int(self.process.env["GUNICORN_WORKERS"]), 30,
                   "its workers")
        time.sleep(1)  # the workers have loaded the app
        return self

    def requests_for(self, path: str, method: str = "GET") -> int:
        """How many requests for ``path`` this node answered (gunicorn's access lines)."""
        return len(re.findall(rf'"{method} {re.escape(path)} HTTP/1\.[01]"',
                              self.process.log.read_text(errors="replace")))


class FromAddress(urllib.request.HTTPSHandler):
    """HTTPS connections made from a chosen local address (another loopback address than nginx's own)."""

    def __init__(self, context: ssl.SSLContext, address: str) -> None:
        super().__init__(context=context)
        self.tls, self.address = context, address

    def https_open(self, req):  # noqa: ANN001, ANN201
        return self.do_open(http.client.HTTPSConnection, req, context=self.tls, source_address=(self.address, 0))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Client:
    """A reader's or moderator's browser, reduced to what the checks need: cookies, no redirects
    followed, the test certificate trusted; connecting from ``source`` when given (a local address)."""

    base: str
    certificate: Path
    cookies: CookieJar = field(default_factory=CookieJar)
    source: str | None = None

    def __post_init__(self) -> None:
        context = ssl.create_default_context(cafile=str(self.certificate))
        https = FromAddress(context, self.source) if self.source else urllib.request.HTTPSHandler(context=context)
        self.opener = urllib.request.build_opener(https, urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, path: str, form: dict[str, str] | None = None, timeout: float = 40) -> Answer:
        """The answer; status 0 when no HTTP answer came at all (the connection failed or timed out)."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        url = path if path.startswith("https://") else self.base + path
        # A browser's Referer on a same-origin POST (Flask-WTF checks it over HTTPS).
        request = urllib.request.Request(url, data=data, headers={"Referer": url} if data is not None else {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read().decode(errors="replace"))
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode(errors="replace"))
        except OSError as error:
            return Answer(0, {}, str(error))

    def hidden(self, body: str, name: str) -> str:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', body) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', body)
        assert match, f"no {name} in the page"
        return match.group(1)

    def sign(self, name: str, email: str, outcomes: list[Outcome] | None = None) -> Answer:
        """The sign form fetched and sent, as a person does; each request's outcome added to ``outcomes``."""
        started = time.monotonic()
        form = self.request("/en/sign")
        if outcomes is not None:
            outcomes.append(Outcome("GET", form.status, started, time.monotonic(), name))
        if form.status != 200:
            return form
        started = time.monotonic()
        answer = self.request("/en/sign", {
            "started": self.hidden(form.body, "started"),
            "kind": "individual", "name": name, "country": "BR", "consent_publish": "y", "email": email,
        })
        if outcomes is not None:
            outcomes.append(Outcome("POST", answer.status, started, time.monotonic(), name))
        return answer


@dataclass
class Outcome:
    """One request of a load: what was asked, its status (0: no answer), when it was in flight."""

    method: str
    status: int
    started: float
    ended: float
    name: str

    @property
    def succeeded(self) -> bool:
        return self.status == (303 if self.method == "POST" else 200)


def signing_load(client_factory: Callable[[], Client], seconds: float, threads: int, prefix: str) -> list[Outcome]:
    """``threads`` people signing one after the other for ``seconds``, each with a fresh browser."""
    outcomes: list[Outcome] = []
    stop = time.monotonic() + seconds

    def person(number: int) -> None:
        count = 0
        while time.monotonic() < stop:
            count += 1
            mine: list[Outcome] = []
            client_factory().sign(f"{prefix} {number}x{count}", f"{prefix.lower()}-{number}x{count}@example.org", mine)
            outcomes.extend(mine)  # list.extend is atomic under the GIL

    workers = [threading.Thread(target=person, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes

