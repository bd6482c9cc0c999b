"""The standalone verifier (``tools/verify_snapshot.py``) and the tree it checks, on fixed inputs.

The known answers below let another implementation be checked against ours: the RFC 6962 roots
of Certificate Transparency's reference test, and a whole snapshot (fixed entries, salts and
signing key → fixed leaves, root, statement and signature)."""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import json
import random
import subprocess
import sys

import pytest
from nacl.signing import SigningKey

from campaign.publication import merkle, snapshots

from .factories import PROJECT_ROOT

TOOL = PROJECT_ROOT / "tools" / "verify_snapshot.py"
_spec = importlib.util.spec_from_file_location("verify_snapshot", TOOL)
assert _spec and _spec.loader
verifier = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verifier)

# Certificate Transparency's reference inputs and the RFC 6962 roots of their first 1 to 8 leaves.
CT_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)),
             bytes(range(0x60, 0x70))]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# A snapshot of three entries: the key's seed is the bytes 0..31, entry i's salt 32 bytes of i + 1.
SEED = bytes(range(32))
PUBLIC_KEY = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
ENTRIES = [
    {"id": "00" * 16, "kind": "organisation", "name": None, "organisation": "Digital Rights Collective", "role": None,
     "country": "DE", "website": "https://drc.example", "drafter": True, "published_on": "2026-11-02",
     "verified": True, "letter_version": "a" * 64},
    {"id": "11" * 16, "kind": "individual", "name": "Ana Souza", "organisation": None, "role": "Researcher",
     "country": "BR", "website": None, "drafter": False, "published_on": "2026-11-03", "verified": False,
     "letter_version": "a" * 64},
    {"id": "22" * 16, "kind": "individual", "name": "سارة", "organisation": "Université de Tunis", "role": None,
     "country": "TN", "website": None, "drafter": False, "published_on": "2026-11-04", "verified": False,
     "letter_version": "b" * 64},
]
SALTS = [bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32]
LEAVES = ["847d059dccacd114cab3df32eecf141a769cf8c7303d5b8bbad7b42b50ab7076",
          "70626c532f602760c611d6ebfd3a6405b2879731ee65b8857381e1975193db9d",
          "9198395742cdd40c0913e0f5ce8b1ae1d518bb71f460592f6e192b12919845a5"]
ROOT = "173203fb2c5bc90324609bd65d1bde58905665763070cc58195938257c5b423e"
STATEMENT = {"format": "campaign-snapshot/1", "letter": "example-letter", "number": 1, "time": "2026-12-01T00:00:00Z",
             "count": 3, "root": ROOT, "added": 3, "removed": 0, "versions": {"en": ["a" * 64, "b" * 64]},
             "previous": None}
CANONICAL = ('{"added":3,"count":3,"format":"campaign-snapshot/1","letter":"example-letter","number":1,"previous":null,'
             f'"removed":0,"root":"{ROOT}","time":"2026-12-01T00:00:00Z","versions":{{"en":["{"a" * 64}","{"b" * 64}"]}}}}')
SIGNATURE = ("8a2ba311af5a20481782269981152b0fd514bd81241693d9d78e53ae332c82f0"
             "2db389611b63440015742a0d9690b8d224170aa126e5890c78884a72b4ff8706")
STATEMENT_HASH = "303d410f2e137f232785bf65b858f67f6b876c9dece14c75c1eba896d240a4cf"


def test_rfc6962_roots_of_the_reference_leaves():
    assert merkle.root_of([]) == hashlib.sha256(b"").digest()
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert merkle.root_of(merkle.leaf_hash(leaf) for leaf in CT_LEAVES[:size]).hex() == expected


def test_the_known_snapshot_hashes_and_signs_as_written():
    leaves = [snapshots.leaf_of(entry, salt) for entry, salt in zip(ENTRIES, SALTS)]
    assert [leaf.hex() for leaf in leaves] == LEAVES
    assert [verifier.entry_leaf(entry, salt).hex() for entry, salt in zip(ENTRIES, SALTS)] == LEAVES
    assert merkle.root_of(leaves).hex() == ROOT
    assert snapshots.canonical(STATEMENT).decode() == CANONICAL == verifier.canonical(STATEMENT).decode()
    key = SigningKey(SEED)
    assert key.sign(CANONICAL.encode()).signature.hex() == SIGNATURE
    assert snapshots.statement_hash(STATEMENT) == STATEMENT_HASH == verifier.statement_hash(STATEMENT)
    assert verifier.load_key(PUBLIC_KEY).encode() == bytes(key.verify_key)


def _audit_path(leaves: list[bytes], index: int) -> list[str]:
    nodes: dict = {}
    builder = merkle.Builder(lambda level, position, node: nodes.__setitem__((level, position), node))
    for leaf in leaves:
        builder.add(leaf)
    return [merkle.fold([nodes[node] for node in merkle.range_nodes(start, end)]).hex()
            for start, end in merkle.audit_ranges(index, len(leaves))]


def known_proof(index: int) -> dict:
    leaves = [bytes.fromhex(leaf) for leaf in LEAVES]
    return {"format": "campaign-proof/1", "entry": ENTRIES[index], "salt": SALTS[index].hex(), "leaf_index": index,
            "audit_path": _audit_path(leaves, index), "snapshot": {"statement": STATEMENT, "signature": SIGNATURE}}


def test_known_audit_paths():
    assert known_proof(0)["audit_path"] == [LEAVES[1], LEAVES[2]]
    assert known_proof(2)["audit_path"] == [merkle.node_hash(*(bytes.fromhex(leaf) for leaf in LEAVES[:2])).hex()]


@pytest.mark.parametrize("index", range(3))
def test_the_verifier_accepts_each_known_proof(index):
    message = verifier.verify_proof(known_proof(index), verifier.load_key(PUBLIC_KEY))
    entry = ENTRIES[index]
    named = entry["organisation"] if entry["kind"] == "organisation" else entry["name"]
    assert message.startswith(f"verified: {named!r} (entry {entry['id']}) is leaf {index + 1} of 3")


@pytest.mark.parametrize("change, reason", [
    (lambda proof: proof["entry"].__setitem__("name", "Ana Sousa"), "entry not in tree: root differs"),
    (lambda proof: proof["entry"].__setitem__("drafter", True), "entry not in tree: root differs"),
    (lambda proof: proof.__setitem__("salt", "00" * 32), "entry not in tree: root differs"),
    (lambda proof: proof.__setitem__("leaf_index", 0), "entry not in tree: root differs"),
    (lambda proof: proof["audit_path"].pop(), "entry not in tree: root differs"),
    (lambda proof: proof["snapshot"]["statement"].__setitem__("count", 4), "snapshot 1: signature does not match"),
    (lambda proof: proof["snapshot"]["statement"].__setitem__("root", "00" * 32), "signature does not match"),
])
def test_the_verifier_names_what_fails_in_a_changed_proof(change, reason):
    proof = copy.deepcopy(known_proof(1))
    change(proof)
    with pytest.raises(verifier.Failed, match=reason):
        verifier.verify_proof(proof, verifier.load_key(PUBLIC_KEY))


def test_a_proof_signed_by_another_key_fails():
    other = verifier.load_key(base64.b64encode(bytes(SigningKey(bytes(32)).verify_key)).decode())
    with pytest.raises(verifier.Failed, match="signature does not match"):
        verifier.verify_proof(known_proof(0), other)


def _chain(length: int) -> list[dict]:
    key, chain, previous, count = SigningKey(SEED), [], None, 0
    rng = random.Random(7)
    for number in range(1, length + 1):
        added, removed = rng.randint(0, 5), rng.randint(0, min(count, 2))
        count += added - removed
        statement = {**STATEMENT, "number": number, "count": count, "added": added, "removed": removed,
                     "root": hashlib.sha256(bytes([number])).hexdigest(),
                     "previous": snapshots.statement_hash(previous) if previous else None}
        chain.append({"statement": statement, "signature": key.sign(snapshots.canonical(statement)).signature.hex()})
        previous = statement
    return chain


def test_the_verifier_checks_a_chain_and_says_where_it_breaks():
    key = verifier.load_key(PUBLIC_KEY)
    assert verifier.verify_chain({"data": _chain(3)}, key).startswith("verified: 3 snapshots")
    missing = _chain(3)
    del missing[1]
    with pytest.raises(verifier.Failed, match="chain broken at snapshot 2"):
        verifier.verify_chain({"data": missing}, key)
    edited = _chain(3)
    edited[0]["statement"]["count"] += 1  # and signed again by the key's holder: the next one still breaks
    edited[0]["signature"] = SigningKey(SEED).sign(snapshots.canonical(edited[0]["statement"])).signature.hex()
    with pytest.raises(verifier.Failed, match="chain broken at snapshot 2"):
        verifier.verify_chain({"data": edited}, key)
    forged = _chain(3)
    forged[2]["statement"]["root"] = "00" * 32
    with pytest.raises(verifier.Failed, match="snapshot 3: signature does not match"):
        verifier.verify_chain({"data": forged}, key)
    shown = _chain(3)  # the list as the API gives it: the figures beside each signed statement
    for item in shown:
        item.update({name: item["statement"][name] for name in ("number", "count", "added", "root")})
    assert verifier.verify_chain({"data": shown}, key).startswith("verified")
    shown[0]["count"] = 50  # a page or a database row that says more than was signed
    with pytest.raises(verifier.Failed, match="snapshot 1: its count reads 50, but the signed statement says"):
        verifier.verify_chain({"data": shown}, key)


def test_the_verifier_checks_the_time_shown_and_names_a_doubled_or_unsigned_snapshot():
    key = verifier.load_key(PUBLIC_KEY)
    timed = _chain(2)
    signed_time = timed[1]["statement"]["time"]
    timed[1]["time"] = signed_time.replace("Z", ".654321Z")  # the API's time: the same second, finer
    assert verifier.verify_chain({"data": timed}, key).startswith("verified")
    timed[1]["time"] = "2020-01-01T00:00:00Z"
    with pytest.raises(verifier.Failed, match="snapshot 2: its time reads '2020-01-01T00:00:00Z', but the signed"):
        verifier.verify_chain({"data": timed}, key)
    doubled = _chain(3)
    doubled[2] = json.loads(json.dumps(doubled[1]))
    with pytest.raises(verifier.Failed, match="snapshot 2 is in the list twice"):
        verifier.verify_chain({"data": doubled}, key)
    unsigned = _chain(1)
    del unsigned[0]["signature"]
    with pytest.raises(verifier.Unreadable, match="snapshot 1 has no signature"):
        verifier.verify_chain({"data": unsigned}, key)


def test_a_proof_in_an_earlier_snapshot_says_the_list_has_gone_on_since():
    """A proof is true of its snapshot; checked against a list that goes further, it says so, so that
    nobody reads "was on the list" as "is on the list"."""
    key = verifier.load_key(PUBLIC_KEY)
    chain = _chain(1)
    chain[0]["statement"] = STATEMENT
    chain[0]["signature"] = SigningKey(SEED).sign(snapshots.canonical(STATEMENT)).signature.hex()
    second = {**STATEMENT, "number": 2, "added": 0, "removed": 1, "count": STATEMENT["count"] - 1,
              "root": "22" * 32, "previous": snapshots.statement_hash(STATEMENT)}
    chain.append({"statement": second, "signature": SigningKey(SEED).sign(snapshots.canonical(second)).signature.hex()})
    said = verifier.verify_proof(known_proof(0), key, {"data": chain})
    assert "your list goes on to snapshot 2, and this proof says nothing of it" in said
    assert "goes on to" not in verifier.verify_proof(known_proof(0), key, {"data": chain[:1]})


def test_the_command_line_exit_codes(tmp_path):
    key_file = tmp_path / "key.txt"
    key_file.write_text(PUBLIC_KEY + "\n")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(known_proof(2), ensure_ascii=False))
    changed = known_proof(2)
    changed["entry"]["country"] = "EG"
    bad.write_text(json.dumps(changed))

    def run(*arguments):
        return subprocess.run([sys.executable, str(TOOL), *arguments], capture_output=True, text=True, check=False)

    accepted = run("proof", str(good), "--key", str(key_file))
    assert accepted.returncode == 0 and "verified" in accepted.stdout
    refused = run("proof", str(bad), "--key", PUBLIC_KEY)
    assert refused.returncode == 1 and "FAILED: entry not in tree: root differs" in refused.stderr
    unreadable = run("chain", str(good), "--key", PUBLIC_KEY)
    assert unreadable.returncode == 2 and "cannot read" in unreadable.stderr


def _resigned(chain: list[dict], start: int) -> list[dict]:
    """The chain as the key's holder could rewrite it from snapshot ``start`` on: each statement
    changed and signed again, each naming the rewritten one before it, so the chain itself holds."""
    key, rewritten = SigningKey(SEED), json.loads(json.dumps(chain))
    for position in range(start - 1, len(rewritten)):
        statement = rewritten[position]["statement"]
        if position == start - 1:
            statement["root"] = "11" * 32
        else:
            statement["previous"] = snapshots.statement_hash(rewritten[position - 1]["statement"])
        rewritten[position]["signature"] = key.sign(snapshots.canonical(statement)).signature.hex()
    return rewritten


def test_a_list_kept_from_before_must_be_continued_unchanged(tmp_path):
    key = verifier.load_key(PUBLIC_KEY)
    kept, later = {"data": _chain(3)}, {"data": _chain(5)}
    assert verifier.verify_chain(later, key, kept).endswith("holds the 3 snapshots of the list you kept, unchanged")
    assert verifier.verify_chain(later, key, {"data": _chain(1)}).endswith("holds the snapshot of the list you kept, "
                                                                           "unchanged")
    rewritten = {"data": _resigned(_chain(5), 2)}
    assert verifier.verify_chain(rewritten, key).startswith("verified")  # alone, a rewritten history passes
    with pytest.raises(verifier.Failed, match="snapshot 2 differs from the one in the list you kept"):
        verifier.verify_chain(rewritten, key, kept)
    with pytest.raises(verifier.Failed, match="snapshot 3 of the list you kept is missing from this one"):
        verifier.verify_chain({"data": _chain(2)}, key, kept)

    old, new = tmp_path / "kept.json", tmp_path / "new.json"
    old.write_text(json.dumps(kept))
    new.write_text(json.dumps(rewritten))
    run = subprocess.run([sys.executable, str(TOOL), "chain", str(new), "--since", str(old), "--key", PUBLIC_KEY],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "FAILED: snapshot 2 differs" in run.stderr
    new.write_text(json.dumps(later))
    run = subprocess.run([sys.executable, str(TOOL), "chain", str(new), "--since", str(old), "--key", PUBLIC_KEY],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "unchanged" in run.stdout


def _with_one(statement: dict) -> dict:
    """A list holding this one snapshot, signed with the known key."""
    signature = SigningKey(SEED).sign(snapshots.canonical(statement)).signature.hex()
    return {"data": [{"statement": statement, "signature": signature}]}


def test_a_proof_is_checked_against_the_snapshot_list_its_reader_holds(tmp_path):
    """Whoever holds the signing key could sign another snapshot 1 that holds a made-up entry: the
    proof verifies alone, but not against the list a journalist kept."""
    key = verifier.load_key(PUBLIC_KEY)
    held = _with_one(STATEMENT)
    assert verifier.verify_proof(known_proof(0), key, held).endswith("that snapshot is the one in your snapshot list")
    forged_entry = {**ENTRIES[0], "organisation": "Fake Endorser Corp"}
    forged_root = merkle.leaf_hash(SALTS[0] + snapshots.canonical(forged_entry)).hex()
    forged_statement = {**STATEMENT, "count": 1, "added": 1, "root": forged_root}
    forged = {"format": "campaign-proof/1", "entry": forged_entry, "salt": SALTS[0].hex(), "leaf_index": 0,
              "audit_path": [], "snapshot": _with_one(forged_statement)["data"][0]}
    assert "'Fake Endorser Corp'" in verifier.verify_proof(forged, key)  # alone, it holds together
    with pytest.raises(verifier.Failed, match="snapshot 1 of this proof differs from snapshot 1 in your snapshot list"):
        verifier.verify_proof(forged, key, held)
    with pytest.raises(verifier.Failed, match="snapshot 2 of this proof is not in your snapshot list"):
        verifier.verify_proof({**forged, "snapshot": _with_one({**forged_statement, "number": 2})["data"][0]}, key, held)

    proof_file, list_file = tmp_path / "proof.json", tmp_path / "snapshots.json"
    proof_file.write_text(json.dumps(forged))
    list_file.write_text(json.dumps(held))
    run = subprocess.run([sys.executable, str(TOOL), "proof", str(proof_file), "--chain", str(list_file),
                          "--key", PUBLIC_KEY], capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "differs from snapshot 1 in your snapshot list" in run.stderr


def test_a_statement_hash_shown_beside_a_snapshot_must_be_the_statement_s(tmp_path):
    key = verifier.load_key(PUBLIC_KEY)
    shown = _with_one(STATEMENT)
    shown["data"][0]["statement_hash"] = STATEMENT_HASH
    assert verifier.verify_chain(shown, key).startswith("verified")
    shown["data"][0]["statement_hash"] = "00" * 32
    with pytest.raises(verifier.Failed, match="snapshot 1: its statement_hash reads"):
        verifier.verify_chain(shown, key)


def test_a_key_file_that_is_not_there_is_named_as_such(tmp_path):
    with pytest.raises(verifier.Unreadable, match="neither a file here nor a base64"):
        verifier.load_key(str(tmp_path / "missing.txt"))
    (tmp_path / "bad.txt").write_text("not a key")
    with pytest.raises(verifier.Unreadable, match="bad.txt does not hold a base64 Ed25519 public key"):
        verifier.load_key(str(tmp_path / "bad.txt"))
