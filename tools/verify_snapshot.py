#!/usr/bin/env python3
"""Check a signatory list's signed snapshots without trusting the site that serves them.

Needs Python 3.9+ and PyNaCl (``pip install pynacl``), nothing else. Get the site's snapshot
signing key once, from somewhere you trust (``/.well-known/snapshot-signing-key``, the README of
the campaign, a printed delivery pack), then:

    verify_snapshot.py proof PROOF.json --key KEY       an entry is in a signed snapshot
    verify_snapshot.py chain SNAPSHOTS.json --key KEY   every snapshot is signed, none removed or edited
    verify_snapshot.py chain NEW.json --since KEPT.json --key KEY
                                                        ... and NEW still holds every snapshot of KEPT
    verify_snapshot.py proof PROOF.json --chain SNAPSHOTS.json --key KEY
                                                        ... in the snapshot your list holds

KEY is the base64 public key or a file holding it. PROOF.json is an entry's proof (the signer's
page, or ``/api/v1/letters/SLUG/entries/PUBLIC_ID/proof``); SNAPSHOTS.json the list of snapshots
(``/api/v1/letters/SLUG/snapshots``). Exit status: 0 verified, 1 verification failed (the reason is
printed), 2 the input could not be read.

The hashing is RFC 6962's (leaf SHA-256(0x00 || data), node SHA-256(0x01 || left || right)); a
leaf's data is the entry's 32-byte salt followed by the entry as canonical JSON (keys sorted, no
spaces, UTF-8); a signature is Ed25519 over the statement as canonical JSON.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import sys
from pathlib import Path

try:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
except ImportError:  # say so plainly, with the exit status of "could not check", not of "failed"
    print("cannot check without PyNaCl: python3 -m venv verifier && verifier/bin/pip install pynacl, "
          "then run this with verifier/bin/python", file=sys.stderr)
    sys.exit(2)


class Failed(Exception):
    """Verification failed: the message says how."""


class Unreadable(Exception):
    """The input is not a proof or a snapshot list."""


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def statement_hash(statement: dict) -> str:
    return hashlib.sha256(canonical(statement)).hexdigest()


def entry_leaf(entry: dict, salt: bytes) -> bytes:
    return leaf_hash(salt + canonical(entry))


def root_from_path(leaf: bytes, index: int, size: int, path: list) -> bytes | None:
    """RFC 9162, 2.1.3.2: the root an audit path leads to; None if it cannot fit the tree."""
    if not 0 <= index < size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return node if sn == 0 else None


def load_key(text: str) -> VerifyKey:
    path = Path(text)
    from_file = path.is_file()
    if from_file:
        text = path.read_text(encoding="utf-8")
    try:
        return VerifyKey(base64.b64decode(text.strip(), validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        if from_file:
            raise Unreadable(f"{path} does not hold a base64 Ed25519 public key") from error
        raise Unreadable(f"--key {text!r} is neither a file here nor a base64 Ed25519 public key") from error


def _hex(value: object, what: str) -> bytes:
    try:
        return bytes.fromhex(value) if isinstance(value, str) else bytes.fromhex("x")
    except ValueError as error:
        raise Unreadable(f"{what} is not hexadecimal") from error


def check_signature(key: VerifyKey, signed: dict) -> dict:
    """The statement of a signed snapshot ``{"statement": …, "signature": …}`` if the key signed it."""
    statement = signed.get("statement")
    if not isinstance(statement, dict):
        raise Unreadable("no statement")
    if signed.get("signature") is None:
        raise Unreadable(f"snapshot {statement.get('number')} has no signature")
    try:
        key.verify(canonical(statement), _hex(signed.get("signature"), "the signature"))
    except (BadSignatureError, ValueError) as error:
        raise Failed(f"snapshot {statement.get('number')}: signature does not match") from error
    return statement


def _named(entry: dict) -> str:
    """The entry as its list shows it: the organisation, or the person's name, and its id."""
    name = entry.get("organisation") if entry.get("kind") == "organisation" else entry.get("name")
    return f"{name!r} (entry {entry.get('id')})" if name else f"entry {entry.get('id')}"


def verify_proof(proof: dict, key: VerifyKey, chain: object = None) -> str:
    """That the proof's entry is in its signed snapshot; with ``chain``, a snapshot list the reader
    holds, also that this snapshot is the one in that list (whoever holds the signing key could sign
    another snapshot under the same number). What to print if so."""
    if not isinstance(proof, dict) or not isinstance(proof.get("entry"), dict) or not isinstance(proof.get("snapshot"), dict):
        raise Unreadable("not a proof: it needs an entry and a snapshot")
    statement = check_signature(key, proof["snapshot"])
    later = ""
    if chain is not None:
        number = statement.get("number")
        listed = {held["number"]: statement_hash(held) for held in _chained(chain, key)}
        if number not in listed:
            raise Failed(f"snapshot {number} of this proof is not in your snapshot list")
        if listed[number] != statement_hash(statement):
            raise Failed(f"snapshot {number} of this proof differs from snapshot {number} in your snapshot list")
        if max(listed) > number:  # true of then, silent on now: say so, or it reads as "still on the list"
            later = (f"; note: your list goes on to snapshot {max(listed)}, and this proof says nothing of it "
                     f"(the entry may have left the list since): ask for a proof in the latest snapshot")
    index, size, path = proof.get("leaf_index"), statement.get("count"), proof.get("audit_path")
    if not isinstance(index, int) or not isinstance(size, int) or not isinstance(path, list):
        raise Unreadable("not a proof: it needs a leaf_index, an audit_path and a count")
    leaf = entry_leaf(proof["entry"], _hex(proof.get("salt"), "the salt"))
    root = root_from_path(leaf, index, size, [_hex(node, "the audit path") for node in path])
    if root is None or root.hex() != statement.get("root"):
        raise Failed("entry not in tree: root differs")
    return (f"verified: {_named(proof['entry'])} is leaf {index + 1} of {size} in snapshot "
            f"{statement.get('number')} of {statement.get('letter')} ({statement.get('time')})"
            + ("; that snapshot is the one in your snapshot list" if chain is not None else "") + later)


#: The figures the site's list of snapshots shows beside each signed statement (its time is shown
#: to the microsecond, the statement's to the second: both are the same moment).
SHOWN_FIGURES = ("number", "count", "added", "removed", "root", "previous", "letter")


def _same_second(shown: object, signed: object) -> bool:
    """The list shows a snapshot's time to the microsecond, its statement to the second."""
    def moment(text: object) -> datetime.datetime | None:
        try:
            return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")).replace(microsecond=0)
        except ValueError:
            return None
    return moment(shown) is not None and moment(shown) == moment(signed)


def _chained(document: object, key: VerifyKey) -> list[dict]:
    """The list's statements, oldest first, once each is found signed and naming the one before it."""
    items = document.get("data") if isinstance(document, dict) else document
    if not isinstance(items, list) or not items:
        raise Unreadable("not a snapshot list: it needs a non-empty list under \"data\"")
    statements: list[dict] = []
    for signed in sorted(items, key=lambda item: item.get("statement", {}).get("number", 0)
                         if isinstance(item, dict) else 0):
        if not isinstance(signed, dict):
            raise Unreadable("not a snapshot list")
        statement = check_signature(key, signed)
        number = statement.get("number")
        if "statement_hash" in signed and signed["statement_hash"] != statement_hash(statement):
            raise Failed(f"snapshot {number}: its statement_hash reads {signed['statement_hash']!r}, but the "
                         f"signed statement hashes to {statement_hash(statement)!r}")
        for name in SHOWN_FIGURES:  # what a page or the API shows beside the statement must be what was signed
            shown = signed.get(name, statement.get(name))
            if shown != statement.get(name):
                raise Failed(f"snapshot {number}: its {name} reads {shown!r}, but the signed statement says "
                             f"{statement[name]!r}")
        if "time" in signed and not _same_second(signed["time"], statement.get("time")):
            raise Failed(f"snapshot {number}: its time reads {signed['time']!r}, but the signed statement says "
                         f"{statement.get('time')!r}")
        previous = statements[-1] if statements else None
        expected = 1 if previous is None else previous["number"] + 1
        if previous is not None and number == previous["number"]:
            raise Failed(f"snapshot {number} is in the list twice")
        if number != expected:
            raise Failed(f"chain broken at snapshot {expected}: it is missing")
        if statement.get("previous") != (statement_hash(previous) if previous else None):
            raise Failed(f"chain broken at snapshot {number}: the snapshot before it was changed")
        expected_count = previous["count"] + statement.get("added", 0) - statement.get("removed", 0) if previous else None
        if previous is not None and statement.get("count") != expected_count:
            raise Failed(f"chain broken at snapshot {number}: its counts do not add up")
        statements.append(statement)
    return statements


def verify_chain(document: object, key: VerifyKey, kept: object = None) -> str:
    """That every snapshot of the list is signed and each names the one before it; with ``kept``, a
    list downloaded earlier, also that this one still holds every snapshot of it, unchanged."""
    statements = _chained(document, key)
    latest = statements[-1]
    said = (f"verified: {len(statements)} snapshots of {latest.get('letter')}, chained and signed; the latest, "
            f"number {latest['number']}, holds {latest['count']} entries, root {latest['root']}")
    if kept is None:
        return said
    earlier = _chained(kept, key)
    now = {statement["number"]: statement_hash(statement) for statement in statements}
    for statement in earlier:
        number = statement["number"]
        if statement.get("letter") != latest.get("letter"):
            raise Failed(f"the list you kept is of another letter ({statement.get('letter')})")
        if number not in now:
            raise Failed(f"snapshot {number} of the list you kept is missing from this one")
        if now[number] != statement_hash(statement):
            raise Failed(f"snapshot {number} differs from the one in the list you kept")
    kept_count = "the snapshot" if len(earlier) == 1 else f"the {len(earlier)} snapshots"
    return f"{said}; it holds {kept_count} of the list you kept, unchanged"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("proof", "chain"), help="proof: an entry's proof; chain: a snapshot list")
    parser.add_argument("file", type=Path, help="the JSON file downloaded from the site")
    parser.add_argument("--key", required=True, help="the site's snapshot signing key (base64), or a file holding it")
    parser.add_argument("--since", type=Path, metavar="KEPT.json",
                        help="chain only: a snapshot list you downloaded before, which this one must continue")
    parser.add_argument("--chain", type=Path, metavar="SNAPSHOTS.json",
                        help="proof only: a snapshot list you hold, which must have the proof's snapshot")
    arguments = parser.parse_args(argv)
    if arguments.since is not None and arguments.what != "chain":
        parser.error("--since goes with chain")
    if arguments.chain is not None and arguments.what != "proof":
        parser.error("--chain goes with proof")
    try:
        key = load_key(arguments.key)
        document = json.loads(arguments.file.read_text(encoding="utf-8"))
        kept = json.loads(arguments.since.read_text(encoding="utf-8")) if arguments.since else None
        held = json.loads(arguments.chain.read_text(encoding="utf-8")) if arguments.chain else None
        print(verify_proof(document, key, held) if arguments.what == "proof" else verify_chain(document, key, kept))
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    except (Unreadable, OSError, ValueError) as error:
        print(f"cannot read: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
