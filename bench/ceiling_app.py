"""The machine's ceilings: what bare Flask and PostgreSQL do here, under the same gunicorn settings.

Three routes: a "hello", a form POST inserting one row with one commit through psycopg, and a
100-row Jinja table. Nothing of the campaign app is used.
"""

import os

from flask import Flask, render_template_string, request
from psycopg_pool import ConnectionPool

app = Flask(__name__)
pool = ConnectionPool(os.environ["BENCH_CEILING_DSN"], min_size=1, max_size=4, open=True)
ROWS = [{"id": i, "name": f"Organisation {i}", "country": "BR", "website": f"https://org{i}.example"} for i in range(100)]
TABLE = """<!doctype html><html lang="en"><title>table</title><table>
{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td><td>{{ row.country }}</td>
<td><a href="{{ row.website }}">{{ row.website }}</a></td></tr>{% endfor %}</table></html>"""


@app.get("/hello")
def hello():
    return "hello"


@app.post("/insert")
def insert():
    with pool.connection() as connection:
        connection.execute("INSERT INTO ceiling_rows (name, email) VALUES (%s, %s)",
                           (request.form["name"], request.form["email"]))
    return "", 201


@app.get("/table")
def table():
    return render_template_string(TABLE, rows=ROWS)
