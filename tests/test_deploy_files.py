"""The reference deployment's files (``deploy/``) agree with the app: every setting, the body
limits, the commands the units run. ``make deploy-test`` runs the files themselves (tests/deploy/)."""

from __future__ import annotations

import re
import subprocess

import pytest

from campaign.config import PROJECT_ROOT, DefaultConfig
from campaign.web.letter_forms import UPLOAD_MEGABYTES

DEPLOY = PROJECT_ROOT / "deploy"


def test_the_environment_file_lists_every_setting_of_the_readme():
    documented = set(re.findall(r"`(FLASK_[A-Z_]+)`", (PROJECT_ROOT / "README.md").read_text()))
    listed = set(re.findall(r"^#?(FLASK_[A-Z_]+)=", (DEPLOY / "campaign.env").read_text(), re.MULTILINE))
    assert documented - listed == set()
    assert listed - {f"FLASK_{name}" for name in dir(DefaultConfig) if name.isupper()} == {"FLASK_DEBUG"}  # Flask's own


def test_nginx_holds_bodies_to_the_apps_limits():
    site = (DEPLOY / "nginx" / "campaign.conf").read_text()
    server = site.split("listen @HTTPS_LISTEN@", 1)[1]
    general = re.search(r"^    client_max_body_size (\d+)k;", server, re.MULTILINE)
    assert general and int(general.group(1)) * 1024 == DefaultConfig.MAX_CONTENT_LENGTH
    admin = re.search(r"location /admin/ \{\s+client_max_body_size (\d+)m;", server)
    assert admin and int(admin.group(1)) * 1024 * 1024 >= max(DefaultConfig.IMPORT_MAX_BYTES,
                                                             (UPLOAD_MEGABYTES + 1) * 1024 * 1024)


@pytest.mark.parametrize("unit", sorted(path.name for path in (DEPLOY / "systemd").glob("*.service")))
def test_each_unit_runs_a_command_of_the_app(app, unit):
    text = (DEPLOY / "systemd" / unit).read_text()
    command = re.search(r"^ExecStart=(\S+)(.*)$", text, re.MULTILINE)
    assert command and "EnvironmentFile=/etc/campaign/campaign.env" in text
    program, args = command.group(1), command.group(2).split()
    if program.endswith("/gunicorn"):
        assert args == ["-c", "gunicorn.conf.py", "wsgi:app"]
        return
    assert program == "/srv/campaign/.venv/bin/flask" and args[:2] == ["--app", "wsgi"]
    group = app.cli.commands[args[2]]
    assert args[3] in group.commands  # type: ignore[attr-defined]


def test_each_timer_starts_a_unit_that_exists():
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        assert (timer.with_suffix(".service")).is_file() and "OnCalendar=" in timer.read_text()


def test_the_backup_script_is_valid_shell():
    subprocess.run(["sh", "-n", str(DEPLOY / "backup.sh")], check=True)


def test_the_readmes_sed_line_fills_every_placeholder_of_the_nginx_site():
    readme = (PROJECT_ROOT / "README.md").read_text()
    production = readme.split("## Production\n", 1)[1].split("\n## ", 1)[0]
    command = next(block for block in production.split("```sh\n") if "deploy/nginx/campaign.conf >" in block)
    substitutions = re.findall(r"-e 's\|(@[A-Z0-9_]+@)\|([^|]*)\|g?'", command)
    site = (DEPLOY / "nginx" / "campaign.conf").read_text()
    for placeholder, value in substitutions:
        site = site.replace(placeholder, value)
    code = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    assert substitutions and not re.findall(r"@[A-Z0-9_]+@", code)
