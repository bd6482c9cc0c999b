"""The newcomer's way in (issue 17): after ``make run``, ``make admin`` and the README's
``.venv/bin/flask --app wsgi admin create`` work in the checkout, with the development settings
``make run`` wrote, and print the second factor's QR code; ``make admin`` asks for the password in a terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import segno
from dotenv import dotenv_values

from campaign.config import load_development_settings
from campaign.moderation.accounts import password_matches

from .factories import PROJECT_ROOT, TRANSLATED_LANGUAGES

FLASK = str(PROJECT_ROOT / ".venv" / "bin" / "flask")


def checkout(tmp_path):
    """A checkout as ``make run`` leaves it: wsgi.py, and instance/development.env with its keys,
    written by the Makefile's own rule (with this project's installed environment)."""
    shutil.copy(PROJECT_ROOT / "wsgi.py", tmp_path / "wsgi.py")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    installed = PROJECT_ROOT / ".venv" / ".installed"
    os.utime(tmp_path / "pyproject.toml", (installed.stat().st_mtime - 60,) * 2)  # installed already: no pip
    made = subprocess.run(["make", "-f", str(PROJECT_ROOT / "Makefile"), f"VENV={PROJECT_ROOT / '.venv'}",
                           "instance/development.env"], cwd=tmp_path, env=clean_environment(), capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp_path


def clean_environment() -> dict:
    """No FLASK_ setting from outside, as in a new terminal; the package importable."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("FLASK_", "TEST_"))}
    return {**environment, "PYTHONPATH": str(PROJECT_ROOT)}


def test_the_readme_admin_command_works_in_a_checkout_after_make_run(tmp_path):
    folder = checkout(tmp_path)
    environment = {**clean_environment(), "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"}
    subprocess.run([FLASK, "--app", "wsgi", "db", "upgrade", "-d", str(PROJECT_ROOT / "migrations")], cwd=folder,
                   env=environment, check=True, capture_output=True)
    created = subprocess.run([FLASK, "--app", "wsgi", "admin", "create", "--role", "admin", "--password-stdin",
                              "newcomer@campaign.example"], cwd=folder, env=environment, input="A long passphrase 2026!\n",
                             capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    assert "created newcomer@campaign.example (admin)" in created.stdout
    assert re.search(r"otpauth://totp/.+secret=[A-Z2-7]+", created.stdout)
    assert "█" in created.stdout, "the QR code is drawn in the terminal"
    assert "http://127.0.0.1:5000/admin/login" in created.stdout


def run_in_a_terminal(command: list[str], cwd: Path, environment: dict, replies: list[tuple[str, str]],
                      timeout: float) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its controlling terminal, as in a person's shell (a
    hidden prompt reads ``/dev/tty``, not standard input), typing each reply once its prompt has
    appeared. Returns the exit status and what the terminal showed; gives up after ``timeout`` seconds."""
    screen, terminal = pty.openpty()
    # setsid --ctty: a session of its own whose controlling terminal is the pseudo-terminal.
    process = subprocess.Popen(["setsid", "--wait", "--ctty", *command], cwd=cwd, env=environment,
                               stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown, answered_up_to, waiting_for = b"", 0, list(replies)
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            if not select.select([screen], [], [], remaining)[0]:
                continue
            try:
                chunk = os.read(screen, 4096)
            except OSError:  # EIO: the command and its children have all closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if waiting_for and (found := shown.find(waiting_for[0][0].encode(), answered_up_to)) >= 0:
                answered_up_to = found + len(waiting_for[0][0])
                os.write(screen, waiting_for.pop(0)[1].encode() + b"\n")
        status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # its own session and group (setsid): make and what it started
            process.wait()
        os.close(screen)
    text = shown.decode("utf-8", errors="replace").replace("\r\n", "\n")
    assert not waiting_for, f"never asked {waiting_for[0][0]!r}:\n{text}"
    return status, text


def test_make_admin_prompts_for_the_password_and_prints_the_qr_code(tmp_path):
    """``make admin EMAIL=…`` as the README gives it, in a terminal: it makes the database, asks for the
    password twice without showing it, and prints the QR code, the ``otpauth://`` address and where to log in."""
    folder = checkout(tmp_path)
    shutil.copytree(PROJECT_ROOT / "migrations", folder / "migrations")
    database = tmp_path / "dev.sqlite3"
    environment = {**clean_environment(), "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}
    password = "A long passphrase 2026!"
    status, shown = run_in_a_terminal(
        ["make", "-f", str(PROJECT_ROOT / "Makefile"), f"VENV={PROJECT_ROOT / '.venv'}", "admin",
         "EMAIL=newcomer@campaign.example"], folder, environment,
        [("Password: ", password), ("Repeat for confirmation: ", password)], timeout=240)
    assert status == 0, shown
    assert password not in shown, "the password is not echoed"
    assert "created newcomer@campaign.example (admin)" in shown
    uri = re.search(r"^otpauth://totp/\S+$", shown, re.M).group(0)
    drawn = io.StringIO()
    segno.make_qr(uri, error="m").terminal(out=drawn, compact=True)
    assert "an authenticator app, or add the address below it by hand:\n" + drawn.getvalue() + uri + "\n" in shown, \
        "the QR code drawn in the terminal holds the address printed under it"
    assert "Then log in at http://127.0.0.1:5000/admin/login" in shown
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT role, active, password_hash, totp_secret FROM admin_users WHERE email = ?",
                                  ("newcomer@campaign.example",)).fetchall()
    assert [(role, active) for role, active, _hash, _secret in rows] == [("admin", 1)]
    assert password_matches(rows[0][2], password), "the account holds the password typed at the prompt"
    assert f"secret={rows[0][3]}&" in uri, "the address enrols the account's own secret"


def test_development_settings_never_override_production_ones(tmp_path, monkeypatch):
    settings = tmp_path / "development.env"
    settings.write_text("FLASK_SECRET_KEY=development\nFLASK_EMAIL_HASH_KEY=development-hash\n")
    monkeypatch.setattr(os, "environ", {"FLASK_SECRET_KEY": "production"})  # restored after the test
    assert load_development_settings(settings) is False
    assert os.environ == {"FLASK_SECRET_KEY": "production"}
    monkeypatch.setattr(os, "environ", {"FLASK_SITE_URL": "http://127.0.0.1:5077"})
    assert load_development_settings(settings) is True
    assert os.environ["FLASK_EMAIL_HASH_KEY"] == "development-hash" and os.environ["FLASK_DEBUG"] == "1"
    assert os.environ["FLASK_MAIL_TRANSPORT"] == "console"
    assert os.environ["FLASK_SITE_URL"] == "http://127.0.0.1:5077", "a variable already set is kept"
    assert load_development_settings(tmp_path / "missing.env") is False


def test_an_operator_makes_the_seal_keys_before_production_settings_exist(tmp_path):
    """On a new production machine (public site, no keys yet) ``keys generate`` must run: the key it
    prints is one of the settings without which the app refuses to start."""
    shutil.copy(PROJECT_ROOT / "wsgi.py", tmp_path / "wsgi.py")
    environment = {**clean_environment(), "FLASK_SITE_URL": "https://letter.example.org"}
    refused = subprocess.run([FLASK, "--app", "wsgi", "routes"], cwd=tmp_path, env=environment,
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "FLASK_SECRET_KEY" in refused.stderr, "the app itself refuses to start"
    made = subprocess.run([FLASK, "--app", "wsgi", "keys", "generate", "--private-key-file",
                           str(tmp_path / "offline" / "seal.key")], cwd=tmp_path, env=environment,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(r"FLASK_SEAL_PUBLIC_KEY=[A-Za-z0-9+/]{43}=\n", made.stdout)
    assert (tmp_path / "offline" / "seal.key").stat().st_mode & 0o777 == 0o600


def test_make_run_s_settings_hold_every_key_a_checkout_needs(tmp_path):
    """The settings ``make run`` writes: the three secrets, the sealing key's public half (its private
    half beside them), and a snapshot signing key, so that ``snapshots publish`` works in a checkout."""
    folder = checkout(tmp_path)
    settings = dotenv_values(folder / "instance" / "development.env")
    assert {"FLASK_SECRET_KEY", "FLASK_EMAIL_HASH_KEY", "FLASK_CLIENT_HASH_KEY", "FLASK_SEAL_PUBLIC_KEY",
            "FLASK_SNAPSHOT_SIGNING_KEY_FILE"} <= set(settings)
    signing = Path(settings["FLASK_SNAPSHOT_SIGNING_KEY_FILE"])
    assert signing == folder / "instance" / "snapshot-signing.key" and signing.stat().st_mode & 0o777 == 0o600
    assert (folder / "instance" / "seal-private.key").is_file()
    environment = {**clean_environment(), "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"}
    for command in (["db", "upgrade", "-d", str(PROJECT_ROOT / "migrations")],
                    ["letters", "load", "--directory", str(PROJECT_ROOT / "letters")],
                    ["snapshots", "publish"]):
        ran = subprocess.run([FLASK, "--app", "wsgi", *command], cwd=folder, env=environment, capture_output=True,
                             text=True, timeout=120)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "snapshot 1" in ran.stdout


def readme_production_commands() -> list[str]:
    """Every shell line of the README's Production section (its ``sh`` blocks), continuations joined."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_readme_production_steps_install_the_package_alone_and_run_existing_make_targets():
    """``pip install .`` then ``make translations``: no editable install, no test extras, and every
    ``make`` target the steps name exists."""
    commands = readme_production_commands()
    installs = [part for line in commands for part in line.split("&&") if "pip install" in part]
    assert installs, "the Production section installs the package"
    for install in installs:
        assert install.split("pip install", 1)[1].split("#", 1)[0].split() == ["."], install
    targets = {name for line in commands for name in re.findall(r"(?:^|&&\s*)make ([\w-]+)", line)}
    assert "translations" in targets
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.MULTILINE), f"make {target}: no such target"


def test_make_translations_after_a_production_install_only_compiles(tmp_path):
    """After ``pip install .`` the virtualenv has pybabel (Babel is one of the package's dependencies)
    and nothing of the development install: ``make translations`` compiles every configured language
    with it and runs no pip. (The install itself is not run here: this machine's local package index
    lacks some of the package's dependencies, and the suite does not reach the network.)"""
    shutil.copytree(PROJECT_ROOT / "translations", tmp_path / "translations",
                    ignore=shutil.ignore_patterns("*.mo"))
    venv = tmp_path / "production-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "pybabel").symlink_to(Path(sys.executable).parent / "pybabel")
    for tool in ("pip", "python", "activate"):  # a pip or python run would mean an install: fail loudly
        (venv / "bin" / tool).write_text("#!/bin/sh\necho \"$0 was run\" >&2\nexit 97\n")
        (venv / "bin" / tool).chmod(0o755)
    made = subprocess.run(["make", "-f", str(PROJECT_ROOT / "Makefile"), f"VENV={venv}", "translations"],
                          cwd=tmp_path, env=clean_environment(), capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "was run" not in made.stderr and not (venv / ".installed").exists()
    for code in TRANSLATED_LANGUAGES:
        assert (tmp_path / "translations" / code / "LC_MESSAGES" / "messages.mo").is_file(), code


def readme_layout_entry(parts: tuple[str, ...]) -> str | None:
    """The lines of the README's layout block that describe the package at ``parts`` (``("campaign",
    "views", "admin")``): its own line and every line indented below it, continuations included."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\n(campaign/\n.*?)```", readme.split("\n## Layout\n", 1)[1], flags=re.DOTALL)
    assert block, "the README's Layout section opens with a block drawing campaign/"
    lines = block.group(1).splitlines()
    start, end, level = 0, len(lines), -1
    for part in parts:
        for number in range(start, end):
            line = lines[number]
            depth = len(line) - len(line.lstrip(" "))
            if depth > level and re.match(rf"\s*{re.escape(part)}/(\s|$)", line):
                level, start, end = depth, number, next(
                    (later for later in range(number + 1, end)
                     if lines[later].strip() and len(lines[later]) - len(lines[later].lstrip(" ")) <= depth), end)
                break
        else:
            return None
    return "\n".join(lines[start:end])


def test_the_readme_layout_names_every_module_of_the_package():
    """A newcomer finds every module in the README's layout, under its own subpackage."""
    unnamed = []
    for module in sorted((PROJECT_ROOT / "campaign").rglob("*.py")):
        if module.name == "__init__.py":
            continue  # the subpackage's own line names it
        entry = readme_layout_entry(module.relative_to(PROJECT_ROOT).parts[:-1])
        if entry is None or not re.search(rf"(?<![\w/.]){re.escape(module.stem)}(\.py)?\b", entry):
            unnamed.append(str(module.relative_to(PROJECT_ROOT)))
    assert unnamed == [], "add these to the README's Layout section"
