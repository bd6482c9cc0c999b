"""Thin HTTP layers, one blueprint per audience."""

from flask import make_response, render_template

from ..security import private_response


def private_page(template: str, status: int = 200, **context):
    """A page for one person (forms, links from emails): rendered, never stored by any cache."""
    return private_response(make_response(render_template(template, **context), status))
