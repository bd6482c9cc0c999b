"""Cryptography: emailed-link tokens, keyed hashes, and the sealed boxes that keep addresses.

Nothing here knows about requests: the hashes let us find duplicates and spot floods without
keeping what they hash, and a sealed box can only be opened with the private key kept offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.signing import SigningKey

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


def generate_signing_key() -> tuple[str, str]:
    """A new Ed25519 (public key, private seed) for signing the list's snapshots, both base64.
    Its own key: never the one that seals addresses."""
    key = SigningKey.generate()
    return base64.b64encode(bytes(key.verify_key)).decode("ascii"), base64.b64encode(bytes(key)).decode("ascii")


def load_signing_key(path: Path) -> SigningKey:
    """The key in a file as ``keys generate-signing`` writes it; ValueError if it holds none."""
    seed = base64.b64decode(path.read_text(encoding="utf-8").strip(), validate=True)
    if len(seed) != 32:
        raise ValueError("not a base64 32-byte Ed25519 seed")
    return SigningKey(seed)


def signing_public_key(key: SigningKey) -> str:
    return base64.b64encode(bytes(key.verify_key)).decode("ascii")


def parse_public_key(encoded: str) -> PublicKey:
    return PublicKey(base64.b64decode(encoded, validate=True))


def seal(public_key: str, plaintext: str) -> bytes:
    """Encrypt to the campaign's public key. Nothing on the server can decrypt it again."""
    return SealedBox(parse_public_key(public_key)).encrypt(plaintext.encode("utf-8"))


def is_pair(private_key: str, public_key: str) -> bool:
    """Whether ``private_key`` opens what ``public_key`` sealed (a key file mixed up with another
    one, say the snapshot signing key, would open nothing)."""
    try:
        derived = PrivateKey(base64.b64decode(private_key.strip(), validate=True)).public_key
    except (ValueError, TypeError, CryptoError):
        return False
    return base64.b64encode(bytes(derived)).decode() == public_key.strip()


def unseal(private_key: str, ciphertext: bytes) -> str:
    key = PrivateKey(base64.b64decode(private_key.strip(), validate=True))
    return SealedBox(key).decrypt(ciphertext).decode("utf-8")


def _held_box(key: str) -> SecretBox:
    return SecretBox(hashlib.blake2b(key.encode("utf-8"), digest_size=SecretBox.KEY_SIZE, person=b"held-address").digest())


def hold(key: str, address: str) -> bytes:
    """An address the app itself must read again later (a reminder to send tomorrow, a notice after
    the moderator's decision), in a secret box keyed from ``key`` (``EMAIL_HASH_KEY``): the database
    alone names nobody. Kept only until that message is sent."""
    return _held_box(key).encrypt(address.encode("utf-8"))


def release_held(key: str, box: bytes) -> str | None:
    """The address in a box from ``hold``; None when the key has changed since."""
    try:
        return _held_box(key).decrypt(box).decode("utf-8")
    except CryptoError:
        return None


def _submission_box(key: str) -> SecretBox:
    return SecretBox(hashlib.blake2b(key.encode("utf-8"), digest_size=SecretBox.KEY_SIZE, person=b"submission").digest())


def seal_for_the_browser(key: str, data: dict) -> str:
    """What a person just typed, for their own browser to bring back on the next page (in the
    session cookie): encrypted with a key derived from ``SECRET_KEY``, so the cookie itself shows
    nothing of it."""
    return base64.urlsafe_b64encode(_submission_box(key).encrypt(json.dumps(data).encode("utf-8"))).decode("ascii")


def open_from_the_browser(key: str, sealed: object) -> dict | None:
    """The data of ``seal_for_the_browser``; None when missing, altered or sealed with another key."""
    if not isinstance(sealed, str):
        return None
    try:
        data = json.loads(_submission_box(key).decrypt(base64.urlsafe_b64decode(sealed.encode("ascii"))))
    except (CryptoError, ValueError):
        return None
    return data if isinstance(data, dict) else None
