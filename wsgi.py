"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``.

In a checkout where ``make run`` has written the development settings, and no production settings
are set, they are loaded first: ``.venv/bin/flask --app wsgi …`` then works as the README gives it.
"""

from pathlib import Path

from campaign import create_app
from campaign.config import load_development_settings

load_development_settings(Path(__file__).resolve().parent / "instance" / "development.env")
app = create_app()
