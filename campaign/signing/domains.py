"""Whether an organisation confirmed from an address on its own website's domain.

An organisation whose confirmation link was opened from ``press@sub.example.org`` and whose website
is ``https://example.org`` showed it can receive mail at that domain: its entry is marked verified.
The mark is computed from what we keep already (the address's domain and the website), never from a
network look-up: nothing about a signer leaves the server to decide it.

The rule: the website's host (lower-case, ``www.`` and a final dot removed, IDNA A-labels) equals
the address's domain, or the domain ends with ``"." + host``. Comparing whole labels keeps
``notexample.org`` and ``example.org.evil.com`` out; comparing A-labels keeps a look-alike in
another script (``exаmple.org`` with a Cyrillic ``а``) out. A website on a host that serves many
unrelated people (``SHARED_HOSTS``) never verifies: anyone has an address at ``gmail.com`` or a site
on ``github.io``.

This module uses the standard library and ``idna`` only, so that the migration that fills the mark
for signatures confirmed before it existed applies the very same rule.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import idna

#: Big public mail providers, where anyone can have a mailbox. Also what the moderators' "many
#: signatures from one domain" warning leaves out (``moderation.flags``): many from them is normal.
WEBMAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me",
    "tutanota.com", "tuta.io", "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "mail.ru",
    "yandex.com", "yandex.ru", "zoho.com", "posteo.de", "riseup.net", "disroot.org", "qq.com", "163.com",
    "orange.fr", "free.fr", "uol.com.br",
})
#: Services where anyone can have a website (often under their own subdomain, ``someone.github.io``).
FREE_HOSTING_DOMAINS: frozenset[str] = frozenset({
    "github.io", "gitlab.io", "codeberg.page", "wordpress.com", "blogspot.com", "wixsite.com",
    "weebly.com", "tumblr.com", "medium.com", "substack.com", "netlify.app", "vercel.app",
    "pages.dev", "google.com", "facebook.com", "linktr.ee", "carrd.co",
})
#: Hosts shared by unrelated people: a website on one of them (or under one of them) shows nothing
#: about who owns an address there, so it never verifies. Kept short on purpose: one missing here
#: would only mark an organisation whose site and address share such a host, which moderators see.
SHARED_HOSTS: frozenset[str] = WEBMAIL_DOMAINS | FREE_HOSTING_DOMAINS


def ascii_host(host: str | None) -> str | None:
    """A host name as IDNA A-labels, lower-case, without a final dot; None when it is no host name."""
    if not host:
        return None
    host = host.strip().rstrip(".").lower()
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return encoded or None


def website_host(website: str | None) -> str | None:
    """The host of a website address, as ``ascii_host`` gives it and without ``www.``."""
    if not website:
        return None
    try:
        host = urlsplit(website.strip()).hostname
    except ValueError:
        return None
    found = ascii_host(host)
    return found.removeprefix("www.") if found else None


def _under(domain: str, host: str) -> bool:
    return domain == host or domain.endswith("." + host)


def is_shared_host(host: str) -> bool:
    return any(_under(host, shared) for shared in SHARED_HOSTS)


def address_on_website(email_domain: str | None, website: str | None) -> bool:
    """Whether an address at ``email_domain`` is on the domain of ``website`` (or a subdomain of it)."""
    domain, host = ascii_host(email_domain), website_host(website)
    if domain is None or host is None or "." not in host or is_shared_host(host):
        return False
    return _under(domain, host)
