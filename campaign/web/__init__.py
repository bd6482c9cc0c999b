"""The web layer shared by every blueprint: languages, caches, replayed answers, response headers,
forms and request parameters."""
