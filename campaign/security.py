"""Response headers and caching policy; tokens, keyed hashes and sealed boxes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets

from flask import Flask, Response, current_app, redirect, request
from nacl.public import PrivateKey, PublicKey, SealedBox

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), serial=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), display-capture=(), interest-cohort=(), browsing-topics=()"
)
HSTS = "max-age=63072000; includeSubDomains"
#: The embeddable counter is the one page other sites may frame.
FRAMEABLE_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")

BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def allow_framing(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = FRAMEABLE_POLICY
    response.frameable = True
    return response


def set_security_headers(response: Response) -> Response:
    """Add each base header the view did not set itself (one pass over the response's headers, not
    one per header: this runs on every response)."""
    present = {name.lower() for name in response.headers.keys()}
    frameable = getattr(response, "frameable", False)
    response.headers.extend([
        (name, value) for name, value in BASE_HEADERS.items()
        if name.lower() not in present and not (frameable and name == "X-Frame-Options")
    ])
    if request.is_secure and "strict-transport-security" not in present:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def public_response(response: Response) -> Response:
    """Mark a reader-facing response cacheable by any proxy and answer conditional requests."""
    response.headers["Cache-Control"] = current_app.config["PUBLIC_CACHE_CONTROL"]
    response.add_etag()
    return response.make_conditional(request)


def private_response(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


TOKEN_BYTES = 32


def new_token() -> str:
    """A URL-safe token of 256 random bits, for links sent by email."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the database keeps of a token. Tokens are random, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256: equal inputs give equal outputs, but only the key holder can test a guess."""
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def client_network(address: str | None) -> str | None:
    """The client's network (IPv4 /24, IPv6 /48): enough to spot a flood, not to name a person."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def generate_seal_keypair() -> tuple[str, str]:
    """A new (public, private) pair for sealing addresses, both base64."""
    private = PrivateKey.generate()
    return (
        base64.b64encode(bytes(private.public_key)).decode("ascii"),
        base64.b64encode(bytes(private)).decode("ascii"),
    )


def parse_public_key(encoded: str) -> PublicKey:
    return PublicKey(base64.b64decode(encoded, validate=True))


def seal(public_key: str, plaintext: str) -> bytes:
    """Encrypt to the campaign's public key. Nothing on the server can decrypt it again."""
    return SealedBox(parse_public_key(public_key)).encrypt(plaintext.encode("utf-8"))


def unseal(private_key: str, ciphertext: bytes) -> str:
    key = PrivateKey(base64.b64decode(private_key.strip(), validate=True))
    return SealedBox(key).decrypt(ciphertext).decode("utf-8")


def redirect_to_https():
    """With ``FORCE_HTTPS``, plain-HTTP requests are sent to the same path on ``SITE_URL``."""
    if not current_app.config["FORCE_HTTPS"] or request.is_secure or request.path == "/healthz":
        return None
    target = current_app.config["SITE_URL"] + request.full_path.rstrip("?")
    return redirect(target, 301 if request.method in ("GET", "HEAD") else 308)


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, redirect_to_https)  # before CSRF and limits
    app.after_request(set_security_headers)
