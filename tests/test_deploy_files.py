"""The reference deployment's files (``deploy/``) agree with the app: every setting, the body
limits, the commands the units run. ``make deploy-test`` runs the files themselves (tests/deploy/)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo as conninfo_with

from campaign.config import PROJECT_ROOT, DefaultConfig
from campaign.web.letter_forms import UPLOAD_MEGABYTES

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SERVICES = sorted(path.name for path in UNITS.glob("*.service"))
#: What every unit runs under: a read-only system, a private /tmp (README, "What the units may write").
HARDENING = ("NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=strict", "ProtectHome=yes")

#: Settings of campaign/config.py that deploy/campaign.env leaves out on purpose, and why: none is an
#: operator's choice in production.
INTERNAL_SETTINGS = {
    "BABEL_DEFAULT_LOCALE": "Flask-Babel's fallback, the language the strings are written in; an operator "
                            "chooses FLASK_LANGUAGES and FLASK_DEFAULT_LANGUAGE",
    "BABEL_DEFAULT_TIMEZONE": "the zone dates are formatted in: UTC, the one every stored time is in",
    "BABEL_TRANSLATION_DIRECTORIES": "the checkout's translations/, where `make translations` compiles",
    "RATELIMIT_HEADERS_ENABLED": "off: the app sets Retry-After itself on a refused submission (web/limits.py)",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": "how limits hold while Redis is down (each process counts its share)",
    "RATELIMIT_STORAGE_OPTIONS": "the store's short timeouts, which keep a hung Redis from holding every worker",
    "SESSION_COOKIE_HTTPONLY": "security policy: no script reads the session cookie",
    "SESSION_COOKIE_SAMESITE": "security policy (Lax); FLASK_SESSION_COOKIE_SECURE is the cookie setting to choose",
    "SQLALCHEMY_ENGINE_OPTIONS": "made from the database URL and FLASK_DATABASE_CONNECT_TIMEOUT (config.py)",
}


def readme_production() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    return readme.split("## Production\n", 1)[1].split("\n## ", 1)[0]


def test_the_environment_file_lists_every_setting_but_the_internal_ones():
    settings = {name for name in dir(DefaultConfig) if name.isupper()}
    assert set(INTERNAL_SETTINGS) <= settings  # no reason kept for a setting that is gone
    listed = set(re.findall(r"^#?(FLASK_[A-Z_]+)=", (DEPLOY / "campaign.env").read_text(), re.MULTILINE))
    assert listed == {f"FLASK_{name}" for name in settings - set(INTERNAL_SETTINGS)} | {"FLASK_DEBUG"}  # Flask's own
    documented = set(re.findall(r"`(FLASK_[A-Z_]+)`", (PROJECT_ROOT / "README.md").read_text()))
    assert documented - listed == set()


def test_nginx_holds_bodies_to_the_apps_limits():
    site = (DEPLOY / "nginx" / "campaign.conf").read_text()
    server = site.split("listen @HTTPS_LISTEN@", 1)[1]
    general = re.search(r"^    client_max_body_size (\d+)k;", server, re.MULTILINE)
    assert general and int(general.group(1)) * 1024 == DefaultConfig.MAX_CONTENT_LENGTH
    admin = re.search(r"location /admin/ \{\s+client_max_body_size (\d+)m;", server)
    assert admin and int(admin.group(1)) * 1024 * 1024 >= max(DefaultConfig.IMPORT_MAX_BYTES,
                                                             (UPLOAD_MEGABYTES + 1) * 1024 * 1024)


@pytest.mark.parametrize("unit", SERVICES)
def test_each_unit_runs_a_command_of_the_app_with_the_settings_and_hardening_of_the_others(app, unit):
    text = (UNITS / unit).read_text()
    command = re.search(r"^ExecStart=(\S+)(.*)$", text, re.MULTILINE)
    assert command and "EnvironmentFile=/etc/campaign/campaign.env" in text
    assert "User=campaign" in text.splitlines() and "WorkingDirectory=/srv/campaign" in text.splitlines()
    assert set(HARDENING) <= set(text.splitlines())
    program, args = command.group(1), command.group(2).split()
    if program.endswith("/gunicorn"):
        assert args == ["-c", "gunicorn.conf.py", "wsgi:app"]
        return
    if program == "/srv/campaign/deploy/backup.sh":  # into the folder systemd makes for it, alone
        assert (DEPLOY / "backup.sh").stat().st_mode & 0o111 and args == ["%S/campaign/backups"]
        assert "StateDirectory=campaign/backups" in text and "StateDirectoryMode=0700" in text
        return
    assert program == "/srv/campaign/.venv/bin/flask" and args[:2] == ["--app", "wsgi"]
    group = app.cli.commands[args[2]]
    assert args[3] in group.commands  # type: ignore[attr-defined]


def test_each_timer_has_its_one_shot_service_and_the_readme_enables_every_timer():
    timers = {path.stem for path in UNITS.glob("*.timer")}
    one_shots = {path.stem for path in UNITS.glob("*.service") if "Type=oneshot" in path.read_text().splitlines()}
    assert timers == one_shots
    for name in timers:
        lines = (UNITS / f"{name}.timer").read_text().splitlines()
        assert any(line.startswith("OnCalendar=") for line in lines), name
        assert "Persistent=true" in lines and "WantedBy=timers.target" in lines, name
    enabling = [line for line in readme_production().splitlines() if line.startswith("systemctl enable --now")]
    assert {name for line in enabling for name in re.findall(r"(campaign-[\w-]+)\.timer", line)} == timers


#: A shell reading campaign.env: `. file`, `source file` (with or without `set -a` before it).
SOURCING = re.compile(r"(?:^|[\s;&|(`])(?:\.|source)\s+[^\s;&|`]*campaign\.env\b")


def test_nothing_loads_the_environment_file_into_a_shell():
    """systemd reads campaign.env as KEY=value lines; a shell would cut a value at `;` or a space and
    expand `$` in it. The README and the deploy files hand it to systemd only (EnvironmentFile=)."""
    assert SOURCING.search("set -a; . /etc/campaign/campaign.env; deploy/backup.sh /var/backups")  # what it finds
    for path in [PROJECT_ROOT / "README.md", *sorted(file for file in DEPLOY.rglob("*") if file.is_file())]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not SOURCING.search(line), f"{path.name}:{number}: {line}"


def test_the_backup_script_is_valid_shell():
    subprocess.run(["sh", "-n", str(DEPLOY / "backup.sh")], check=True)


def fake_pg_dump(tmp_path: Path, then: str = "") -> tuple[Path, Path]:
    """A pg_dump first on PATH that records its arguments and the libpq variables it was given,
    then writes the dump (or runs ``then``); returns the folder to put first on PATH and the record."""
    record, tools = tmp_path / "pg_dump-record", tmp_path / "bin"
    tools.mkdir()
    (tools / "pg_dump").write_text(f"""#!/bin/sh
{{ printf '%s\\0' "$@"; printf '\\0'; env -0 | grep -z '^PG'; }} > {record}
{then or 'for argument in "$@"; do case "$argument" in --file=*) echo dump > "${argument#--file=}";; esac; done'}
""")
    (tools / "pg_dump").chmod(0o755)
    return tools, record


def run_backup(tools: Path, folder: Path, url: str) -> subprocess.CompletedProcess[str]:
    """deploy/backup.sh as its unit runs it: the database URL alone in its environment."""
    return subprocess.run(["sh", str(DEPLOY / "backup.sh"), str(folder)], capture_output=True, text=True,
                          env={"PATH": f"{tools}:/usr/bin:/bin", "FLASK_SQLALCHEMY_DATABASE_URI": url}, timeout=30)


def recorded(record: Path) -> tuple[list[str], dict[str, str]]:
    """What the stand-in pg_dump was given: its arguments, and its PG… variables."""
    arguments, _, environment = record.read_text().partition("\0\0")
    return arguments.split("\0"), dict(line.split("=", 1) for line in environment.split("\0") if line)


#: Database URLs as campaign.env may hold them, and the libpq variables each must become.
BACKUP_URLS = [
    ("postgresql+psycopg://campaign:pa ss;w$rd@db.internal:5432/campaign",  # unencoded, as systemd hands it over
     {"PGUSER": "campaign", "PGPASSWORD": "pa ss;w$rd", "PGHOST": "db.internal", "PGPORT": "5432", "PGDATABASE": "campaign"}),
    ("postgresql+psycopg://camp%40aign:p%40ss%3Aw%2Frd%20x%C3%A9%25@db.internal:6432/my%20campaign?sslmode=verify-full",
     {"PGUSER": "camp@aign", "PGPASSWORD": "p@ss:w/rd xé%", "PGHOST": "db.internal", "PGPORT": "6432",
      "PGDATABASE": "my campaign", "PGSSLMODE": "verify-full"}),
    ("postgresql+psycopg://campaign:s%2Fecret@/campaign?host=%2Frun%2Fpostgresql",  # a socket folder
     {"PGUSER": "campaign", "PGPASSWORD": "s/ecret", "PGHOST": "/run/postgresql", "PGDATABASE": "campaign"}),
    ("postgresql+psycopg://%2Fvar%2Frun%2Fpostgresql/campaign", {"PGHOST": "/var/run/postgresql", "PGDATABASE": "campaign"}),
    ("postgresql+psycopg://campaign:a%3Ab@[2001:db8::5]:5432/campaign",
     {"PGUSER": "campaign", "PGPASSWORD": "a:b", "PGHOST": "2001:db8::5", "PGPORT": "5432", "PGDATABASE": "campaign"}),
]


@pytest.mark.parametrize(("url", "variables"), BACKUP_URLS)
def test_the_backup_script_hands_pg_dump_the_database_in_its_environment_never_its_arguments(tmp_path, url, variables):
    """Only FLASK_SQLALCHEMY_DATABASE_URI is needed. pg_dump's arguments, which any local user reads
    in `ps`, hold no part of it: the connection reaches pg_dump as libpq's PG… variables, each part
    percent-decoded (a password holding `@`, `:`, `/`, a space, `;` or `$` arrives whole)."""
    tools, record = fake_pg_dump(tmp_path)
    ran = run_backup(tools, tmp_path / "backups", url)
    assert ran.returncode == 0, ran.stderr
    dump = Path(ran.stdout.strip())
    arguments, environment = recorded(record)
    assert arguments == ["--format=custom", "--no-owner", "--no-acl", f"--file={dump}.partial"]
    assert environment == variables
    assert dump.parent == tmp_path / "backups" and dump.read_text() == "dump\n" and dump.suffix == ".dump"
    assert [path.name for path in dump.parent.iterdir()] == [dump.name]  # no part left behind
    assert "FLASK_EMAIL_HASH_KEY" in ran.stderr  # what to keep elsewhere


def test_the_backup_script_refuses_a_connection_keyword_it_would_drop(tmp_path):
    """A keyword the script does not pass on stops it before pg_dump runs, rather than dumping
    without it (``sslmode`` left behind would be a quiet downgrade)."""
    tools, record = fake_pg_dump(tmp_path)
    ran = run_backup(tools, tmp_path / "backups", "postgresql://campaign:secret@db.internal/campaign?sslfancy=1")
    assert ran.returncode == 2 and "sslfancy" in ran.stderr and "secret" not in ran.stderr
    assert not record.exists()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped (CI sets it)")
def test_the_backup_script_dumps_the_right_database_with_a_password_of_every_kind(tmp_path):
    """The real pg_dump, behind a stand-in that records what it was given, dumps a scratch database
    reached as a role whose name and password need percent-encoding; pg_restore reads the dump back."""
    import psycopg

    admin = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    name, role, password = f"backup test {uuid.uuid4().hex[:8]}", f"backup@{uuid.uuid4().hex[:8]}", "p@ss:w/rd x;$é%"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(role)))
    try:
        with psycopg.connect(conninfo_with(admin, dbname=name, user=role, password=password)) as connection:
            connection.execute("CREATE TABLE backed_up_marker (id integer)")
        tools, record = fake_pg_dump(tmp_path, then='exec /usr/bin/env PATH=/usr/bin:/bin pg_dump "$@"')
        server = urlsplit(admin)
        url = (f"postgresql+psycopg://{quote(role, safe='')}:{quote(password, safe='')}@{server.hostname}"
               f"{f':{server.port}' if server.port else ''}/{quote(name, safe='')}")
        ran = run_backup(tools, tmp_path / "backups", url)
        assert ran.returncode == 0, ran.stderr
        arguments, environment = recorded(record)
        assert not any(password in argument or quote(password, safe="") in argument or name in argument
                       for argument in arguments)
        assert environment["PGPASSWORD"] == password and environment["PGDATABASE"] == name
        listing = subprocess.run(["pg_restore", "--list", ran.stdout.strip()], capture_output=True, text=True,
                                 check=True, timeout=30).stdout
        assert "TABLE public backed_up_marker" in listing
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian's systemd package): the units' syntax is unchecked")
def test_systemd_accepts_every_unit(tmp_path):
    """``systemd-analyze verify`` over copies of the units whose commands point at this checkout
    and virtualenv (it refuses a command that does not exist): no error, no warning."""
    virtualenv = Path(sys.executable).parent
    for unit in UNITS.iterdir():
        text = re.sub(r"^(ExecStart=)/srv/campaign/\.venv/bin/", rf"\g<1>{virtualenv}/", unit.read_text(), flags=re.MULTILINE)
        text = re.sub(r"^(ExecStart=)/srv/campaign/", rf"\g<1>{PROJECT_ROOT}/", text, flags=re.MULTILINE)
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(path) for path in tmp_path.iterdir())
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", "--generators=no", *units],
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and verified.stdout + verified.stderr == "", verified.stdout + verified.stderr


def test_the_readmes_sed_line_fills_every_placeholder_of_the_nginx_site():
    production = readme_production()
    command = next(block for block in production.split("```sh\n") if "deploy/nginx/campaign.conf >" in block)
    substitutions = re.findall(r"-e 's\|(@[A-Z0-9_]+@)\|([^|]*)\|g?'", command)
    site = (DEPLOY / "nginx" / "campaign.conf").read_text()
    for placeholder, value in substitutions:
        site = site.replace(placeholder, value)
    code = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    assert substitutions and not re.findall(r"@[A-Z0-9_]+@", code)
