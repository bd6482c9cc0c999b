"""Signed snapshots of the public list: publishing (the CLI), the chain, proofs from the API and the
signer's page, erasure of a withdrawn entry, the pages and the key; all checked with the verifier
that ships in ``tools/``."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from campaign import create_app
from campaign.config import ConfigError
from campaign.models import Signature, Snapshot, SnapshotChunk
from campaign.moderation import decisions as moderation
from campaign.publication import snapshots
from campaign.web import caches

from .factories import LTR_AND_RTL, TEST_CONFIG, make_admin, published, shipped_letter
from .test_api import check, document  # noqa: F401  (a fixture)
from .test_self_service import manage_link, publish_all  # noqa: F401  (a fixture)
from .test_signing import csrf_of
from .test_verify_snapshot import PUBLIC_KEY, SEED, verifier

SLUG = "ban-biometric-surveillance"
API = f"/api/v1/letters/{SLUG}"
KEY = verifier.load_key(PUBLIC_KEY)


@pytest.fixture
def app_config(app_config, tmp_path):
    key = tmp_path / "snapshot-signing.key"
    key.write_text(base64.b64encode(SEED).decode() + "\n")
    return {**app_config, "SNAPSHOT_SIGNING_KEY_FILE": str(key)}


def publish_snapshot(app) -> str:
    result = app.test_cli_runner().invoke(args=["snapshots", "publish", SLUG])
    assert result.exit_code == 0, result.output
    return result.output


def chain(client) -> dict:
    response = client.get(f"{API}/snapshots")
    assert response.status_code == 200
    return response.get_json()


def proof_of(client, signature: Signature) -> dict:
    response = client.get(f"{API}/entries/{signature.public_id}/proof")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def entries(db):
    found = [
        published(organisation="Digital Rights Collective", country="LB", website="https://rights.example"),
        published(organisation="Observatorio de Vigilancia", country="AR"),
        published(kind="individual", name="Ana Souza", role="Researcher", organisation="Universidade", country="BR"),
        published(kind="individual", name="Jean Dupont", country="FR"),
        published(kind="individual", name="سارة الخطيب", country="TN"),
    ]
    published(kind="individual", name="Counted Only", consent_publish=False)
    from .factories import make_signature
    make_signature(organisation="Waiting For A Moderator")
    return found


def test_every_listed_entry_proof_verifies_and_nothing_else_is_in_the_tree(app, client, db, entries):
    output = publish_snapshot(app)
    assert f"{SLUG}: snapshot 1, 5 entries (+5 -0)" in output
    snapshot = snapshots.latest(shipped_letter().id)
    assert snapshot.count == 5 and snapshot.added == 5 and snapshot.removed == 0
    for entry in entries:
        proof = proof_of(client, entry)
        assert proof["entry"]["id"] == entry.public_id and bytes.fromhex(proof["salt"]) == entry.snapshot_salt
        named = entry.organisation if entry.kind.value == "organisation" else entry.name
        assert verifier.verify_proof(proof, KEY).startswith(f"verified: {named!r} (entry {entry.public_id})")
        assert verifier.verify_proof(proof, KEY, chain(client)).endswith("the one in your snapshot list")
        assert proof["snapshot"]["statement"]["root"] == snapshot.root
    unnamed = db.session.scalar(select(Signature).where(Signature.name == "Counted Only"))
    waiting = db.session.scalar(select(Signature).where(Signature.organisation == "Waiting For A Moderator"))
    for absent in (unnamed, waiting):
        assert client.get(f"{API}/entries/{absent.public_id}/proof").status_code == 404
    assert client.get(f"{API}/entries/not-an-id/proof").status_code == 404
    listed = chain(client)
    assert listed["public_key"] == PUBLIC_KEY and verifier.verify_chain(listed, KEY).startswith("verified: 1 snapshots")
    assert listed["data"][0]["statement"]["versions"]["en"], "the letter's text versions are signed"


def test_the_chain_across_three_snapshots_and_changes_after_each(app, client, db, entries):
    first_org, second_org, ana, jean, _ = entries
    publish_snapshot(app)
    before = {entry.id: proof_of(client, entry) for entry in entries}

    publish_snapshot(app)  # nothing changed
    second = snapshots.latest(shipped_letter().id)
    assert (second.number, second.added, second.removed, second.count) == (2, 0, 0, 5)
    assert second.root == snapshots.by_number(second.letter_id, 1).root

    # A published field changed after the snapshot: the old entry no longer matches the tree.
    db.session.execute(update(Signature).where(Signature.id == ana.id).values(role="Professor"))
    db.session.commit()
    assert client.get(f"{API}/entries/{ana.public_id}/proof").status_code == 404
    edited = json.loads(json.dumps(before[ana.id]))
    edited["entry"]["role"] = "Professor"
    with pytest.raises(verifier.Failed, match="entry not in tree: root differs"):
        verifier.verify_proof(edited, KEY)

    # An entry added after a snapshot is not in it; one removed is not in the next.
    newcomer = published(organisation="Late Coalition", country="DE")
    moderation.hide(jean.id, make_admin("hide@campaign.example"), "asked by the signer")
    publish_snapshot(app)
    third = snapshots.latest(shipped_letter().id)
    assert (third.number, third.added, third.removed, third.count) == (3, 1, 1, 5)
    late = proof_of(client, newcomer)
    assert verifier.verify_proof(late, KEY)
    late["snapshot"] = before[first_org.id]["snapshot"]
    with pytest.raises(verifier.Failed, match="entry not in tree: root differs"):
        verifier.verify_proof(late, KEY)
    gone = json.loads(json.dumps(before[jean.id]))
    gone["snapshot"] = proof_of(client, second_org)["snapshot"]
    with pytest.raises(verifier.Failed, match="entry not in tree: root differs"):
        verifier.verify_proof(gone, KEY)
    assert client.get(f"{API}/entries/{jean.public_id}/proof").status_code == 404
    assert verifier.verify_proof(proof_of(client, ana), KEY), "the corrected entry is in the new snapshot"
    for entry in (first_org, second_org):
        assert verifier.verify_proof(before[entry.id], KEY), "an old proof stays true of its snapshot"
        # and it can still be asked for: the proof in snapshot 1 (the one a delivery pack carried, say)
        asked = client.get(f"{API}/entries/{entry.public_id}/proof", query_string={"snapshot": 1}).get_json()
        assert asked["snapshot"]["statement"]["number"] == 1 and verifier.verify_proof(asked, KEY)
        assert asked["audit_path"] == before[entry.id]["audit_path"]
    assert client.get(f"{API}/entries/{newcomer.public_id}/proof", query_string={"snapshot": 2}).status_code == 404
    assert client.get(f"{API}/entries/{ana.public_id}/proof", query_string={"snapshot": 1}).status_code == 404
    for wrong in ("9", "0", "two"):
        asked = client.get(f"{API}/entries/{first_org.public_id}/proof", query_string={"snapshot": wrong})
        assert asked.status_code == (400 if wrong == "two" else 404) and "snapshot" in asked.get_json()["error"]["message"]

    listed = chain(client)
    assert verifier.verify_chain(listed, KEY).startswith("verified: 3 snapshots")
    assert [item["statement"]["previous"] for item in listed["data"]] == [
        None, listed["data"][0]["statement_hash"], listed["data"][1]["statement_hash"]]


def test_editing_or_removing_an_earlier_snapshot_breaks_the_chain(app, client, db, entries):
    for _ in range(3):
        publish_snapshot(app)
    first = snapshots.by_number(shipped_letter().id, 1)
    statement = json.loads(first.statement)
    original = (first.statement, first.signature)
    statement["count"] = 4
    first.statement = snapshots.canonical(statement).decode()
    db.session.commit()
    with pytest.raises(verifier.Failed, match="snapshot 1: signature does not match"):
        verifier.verify_chain(chain(client), KEY)
    # Even the key's holder, signing an edited snapshot again, breaks the one after it.
    from nacl.signing import SigningKey
    first.signature = SigningKey(SEED).sign(first.statement.encode()).signature.hex()
    db.session.commit()
    with pytest.raises(verifier.Failed, match="snapshot 1: its statement_hash reads"):
        verifier.verify_chain(chain(client), KEY)  # the list shows the stored hash beside the statement
    listed = chain(client)
    for item in listed["data"]:
        item.pop("statement_hash")
    with pytest.raises(verifier.Failed, match="snapshot 1: its count reads 5, but the signed statement says 4"):
        verifier.verify_chain(listed, KEY)  # and the stored count
    for item in listed["data"]:
        item.pop("count")  # and with only the statements, the next one breaks
    with pytest.raises(verifier.Failed, match="chain broken at snapshot 2"):
        verifier.verify_chain(listed, KEY)
    first.statement, first.signature = original
    db.session.execute(delete(Snapshot).where(Snapshot.number == 2))
    db.session.commit()
    with pytest.raises(verifier.Failed, match="chain broken at snapshot 2"):
        verifier.verify_chain(chain(client), KEY)


def test_a_withdrawn_entry_is_erased_and_the_old_snapshot_still_verifies(app, client, db, manage_link):  # noqa: F811
    link = manage_link()
    publish_all(db)
    signature = db.session.scalar(select(Signature))
    public_id, salt = signature.public_id, signature.snapshot_salt
    page = client.get(link).get_data(as_text=True)
    assert f'href="{link}/proof.json"' not in page, "no proof before the first snapshot"
    early = client.get(link + "/proof.json")
    assert early.status_code == 303 and early.headers["Location"] == link, "a saved proof link leads to the page"
    publish_snapshot(app)

    page = client.get(link).get_data(as_text=True)
    assert f'href="{link}/proof.json"' in page
    download = client.get(link + "/proof.json")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == 'attachment; filename="my-signature-proof.json"'
    proof = download.get_json()
    assert proof["entry"]["organisation"] == "Digital Rights Collective" and proof["entry"]["id"] == public_id
    assert verifier.verify_proof(proof, KEY)

    client.post(link + "/withdraw", data=csrf_of(client, link + "/withdraw"))
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    publish_snapshot(app)
    latest = snapshots.latest(shipped_letter().id)
    assert (latest.count, latest.added, latest.removed) == (0, 0, 1)
    assert verifier.verify_chain(chain(client), KEY)
    assert verifier.verify_proof(proof, KEY), "the old snapshot still verifies"
    stored = b"".join(db.session.scalars(select(SnapshotChunk.data)))
    for value in ("Digital Rights Collective", "rights.example.org", "Amal"):
        assert value.encode() not in stored
    leaf = snapshots.leaf_of(proof["entry"], salt)
    assert leaf in stored, "the leaf stays, so the old root still verifies"
    assert snapshots.leaf_of(proof["entry"], b"") not in stored and snapshots.leaf_of(proof["entry"], bytes(32)) not in stored
    statements = "".join(snapshot.statement for snapshot in db.session.scalars(select(Snapshot)))
    assert salt not in stored and public_id not in statements


def test_keys_generate_signing_writes_a_private_file_and_prints_the_public_key(tmp_path):
    from click.testing import CliRunner

    from campaign.cli.keys import keys_group

    target = tmp_path / "keys" / "snapshot.key"
    runner = CliRunner()
    result = runner.invoke(keys_group, ["generate-signing", "--private-key-file", str(target)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    public = result.output.strip().rsplit(" ", 1)[1]
    from campaign.crypto import load_signing_key, signing_public_key
    assert signing_public_key(load_signing_key(target)) == public
    again = runner.invoke(keys_group, ["generate-signing", "--private-key-file", str(target)])
    assert again.exit_code != 0 and "exists" in again.output


def test_the_signing_key_setting_is_checked_at_start(tmp_path):
    with pytest.raises(ConfigError, match="FLASK_SNAPSHOT_SIGNING_KEY_FILE"):
        create_app({**TEST_CONFIG, "SNAPSHOT_SIGNING_KEY_FILE": str(tmp_path / "missing.key")})
    bad = tmp_path / "bad.key"
    bad.write_text(base64.b64encode(b"too short").decode())
    with pytest.raises(ConfigError, match="FLASK_SNAPSHOT_SIGNING_KEY_FILE"):
        create_app({**TEST_CONFIG, "SNAPSHOT_SIGNING_KEY_FILE": str(bad)})


def test_publishing_without_a_key_says_how_to_make_one(app, db):
    app.config["SNAPSHOT_SIGNING_KEY_FILE"] = None
    result = app.test_cli_runner().invoke(args=["snapshots", "publish", SLUG])
    assert result.exit_code != 0 and "keys generate-signing" in result.output
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == 0


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_the_snapshots_page_lists_each_snapshot(app, client, db, entries, lang):
    assert client.get(f"/{lang}/letters/{SLUG}/snapshots").status_code == 200
    publish_snapshot(app)
    caches.clear()  # the page is cached a minute, like the other reader pages
    snapshot = snapshots.latest(shipped_letter().id)
    response = client.get(f"/{lang}/letters/{SLUG}/snapshots")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert snapshot.root in html and snapshot.signature in html and PUBLIC_KEY in html
    listing = client.get(f"/{lang}/letters/{SLUG}/signatories").get_data(as_text=True)
    assert f'href="/{lang}/letters/{SLUG}/snapshots"' in listing, "the list links to its snapshots"


@pytest.mark.parametrize("lang", LTR_AND_RTL)
def test_the_snapshots_page_says_how_to_check_them_with_the_verifier_it_serves(app, client, db, entries, lang):
    publish_snapshot(app)
    caches.clear()
    html = client.get(f"/{lang}/letters/{SLUG}/snapshots").get_data(as_text=True)
    shipped = (Path(__file__).parents[1] / "tools" / "verify_snapshot.py").read_bytes()
    assert 'id="check"' in html and 'href="/verify_snapshot.py"' in html
    assert hashlib.sha256(shipped).hexdigest() in html, "its fingerprint, to compare with the source's"
    commands = [" ".join(re.sub(r"\\\n", " ", command).split()) for command in re.findall(r"<code>([^<]*)</code>", html)]
    assert f"verifier/bin/python verify_snapshot.py chain snapshots.json --key {PUBLIC_KEY}" in commands
    assert f"verifier/bin/python verify_snapshot.py proof proof.json --chain snapshots.json --key {PUBLIC_KEY}" in commands
    assert f"verifier/bin/python verify_snapshot.py chain new.json --since snapshots.json --key {PUBLIC_KEY}" in commands
    assert f"https://campaign.example/api/v1/letters/{SLUG}/entries/PUBLIC_ID/proof" in html, "where any proof is"
    download = client.get("/verify_snapshot.py")
    assert download.status_code == 200 and download.get_data() == shipped and "Set-Cookie" not in download.headers
    assert download.headers["Content-Disposition"] == 'attachment; filename="verify_snapshot.py"'


def test_a_signer_published_after_the_latest_snapshot_is_told_their_proof_comes_with_the_next(
        app, client, db, manage_link):  # noqa: F811
    first = manage_link()
    publish_all(db)
    assert "will be in the next one" not in client.get(first).get_data(as_text=True), "no snapshots: nothing promised"
    publish_snapshot(app)
    second = manage_link(email="second@example.org", organisation="Second Collective")
    assert "will be in the next one" not in client.get(second).get_data(as_text=True), "not on the list yet"
    waiting = db.session.scalar(select(Signature).where(Signature.organisation == "Second Collective"))
    moderation.approve([waiting.id], make_admin("second-mod@campaign.example"))
    page = client.get(second).get_data(as_text=True)
    assert "will be in the next one" in page and f'href="{second}/proof.json"' not in page
    publish_snapshot(app)
    page = client.get(second).get_data(as_text=True)
    assert f'href="{second}/proof.json"' in page and "will be in the next one" not in page
    assert 'href="/en/snapshots#check"' in page, "how to check it (the featured letter's short address)"
    assert 'id="check"' in client.get("/en/snapshots").get_data(as_text=True)


def test_the_public_key_is_published_at_a_well_known_address(app, client):
    response = client.get("/.well-known/snapshot-signing-key")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == PUBLIC_KEY + "\n" and "Set-Cookie" not in response.headers


def test_changes_since_a_snapshot(app, client, db, entries, document):  # noqa: F811
    publish_snapshot(app)
    check(document, client.get(f"{API}/snapshots"), "SnapshotList")
    check(document, client.get(f"{API}/snapshots/1"), "Snapshot")
    check(document, client.get(f"{API}/entries/{entries[0].public_id}/proof"), "Proof")
    check(document, client.get(f"{API}/changes?since_snapshot=1"), "ChangesPage")
    assert client.get(f"{API}/changes?since_snapshot=1").get_json()["data"] == []
    published(organisation="After The Snapshot", country="DE")
    published(kind="individual", name="Later Person", country="DE")
    changed = client.get(f"{API}/changes?since_snapshot=1").get_json()
    assert [item["organisation"] for item in changed["data"]] == ["After The Snapshot"] and changed["individuals"] == 1
    assert client.get(f"{API}/changes?since_snapshot=7").status_code == 404
    snapshot = chain(client)["data"][0]
    assert snapshot["links"]["changes_since"].endswith("/changes?since_snapshot=1")
    single = client.get(f"{API}/snapshots/1").get_json()
    assert single["statement"] == snapshot["statement"] and single["signature"] == snapshot["signature"]
    assert client.get(f"{API}/snapshots/2").status_code == 404


def test_a_number_that_names_no_snapshot_gets_one_answer_wherever_it_is_given(app, client, db, entries):
    """A journalist typing a snapshot number (in the address, for a proof, for changes) is told the
    same thing: which numbers exist."""
    assert client.get(f"{API}/snapshots/1").get_json()["error"]["message"] == \
        "No snapshot with this number (the letter has no snapshot yet)."
    publish_snapshot(app)
    publish_snapshot(app)
    said = "no snapshot with this number (the letter's are numbered from 1 to 2)."
    for number in ("0", "3", "abc", "-1", "99999999999999999999", "%D9%A1"):
        response = client.get(f"{API}/snapshots/{number}")
        assert (response.status_code, response.get_json()["error"]["message"]) == (404, said.capitalize())
    assert client.get(f"{API}/snapshots/{'0' * 30}2").get_json()["number"] == 2, "leading zeros read as a number"
    for number in ("0", "3"):
        response = client.get(f"{API}/entries/{entries[0].public_id}/proof?snapshot={number}")
        assert (response.status_code, response.get_json()["error"]["message"]) == (404, f"No proof: {said}")
        response = client.get(f"{API}/changes?since_snapshot={number}")
        assert (response.status_code, response.get_json()["error"]["message"]) == (404, f"since_snapshot: {said}")
    for public_id in ("zzz", "a" * 32):  # malformed or unknown: the same
        response = client.get(f"{API}/entries/{public_id}/proof")
        assert response.get_json()["error"]["message"] == "No proof: no entry with this public id on the list."
    assert client.get(f"{API}/snapshots/2").status_code == 200


def test_the_delivery_pack_carries_the_latest_snapshot(app, client, db, entries, tmp_path):
    from .test_delivery_pack import make_pack, pdf_text

    files, manifest = make_pack(app, tmp_path / "before", "en")
    assert manifest["snapshot"] is None and "snapshot" not in pdf_text(files[".pdf"]).lower()
    publish_snapshot(app)
    files, manifest = make_pack(app, tmp_path / "after", "en")
    latest = snapshots.latest(shipped_letter().id)
    assert manifest["snapshot"] == {"number": 1, "time": manifest["snapshot"]["time"], "count": 5, "root": latest.root,
                                    "statement_hash": latest.statement_hash, "signature": latest.signature}
    text = pdf_text(files[".pdf"]).replace(" ", "")
    assert latest.root in text and latest.signature in text
    assert f"https://campaign.example/api/v1/letters/{SLUG}/snapshots" in text and "tools/verify_snapshot.py" in text
    listed = chain(client)["data"][0]
    assert listed["root"] == manifest["snapshot"]["root"] and listed["signature"] == manifest["snapshot"]["signature"]


def test_many_runs_and_batches_give_proofs_that_verify(app, client, db, monkeypatch):
    """Small runs and read batches, so that publishing streams several batches while it writes, and
    proofs read nodes from several runs (a million entries do the same with the real sizes)."""
    monkeypatch.setattr(snapshots, "CHUNK", 4)
    monkeypatch.setattr(snapshots, "STREAM_BATCH", 3)
    entries = [published(organisation=f"Organisation {number}", country="DE") for number in range(23)]
    publish_snapshot(app)
    first = snapshots.latest(shipped_letter().id)
    assert first.count == 23 and db.session.scalar(
        select(func.count()).select_from(SnapshotChunk).where(SnapshotChunk.snapshot_id == first.id,
                                                              SnapshotChunk.level == snapshots.IDS)) == 6
    for entry in entries:
        assert verifier.verify_proof(proof_of(client, entry), KEY)
    admin = make_admin("many@campaign.example")
    for entry in entries[::5]:
        moderation.hide(entry.id, admin, "test")
    for number in range(4):
        published(kind="individual", name=f"Person {number}", country="FR")
    publish_snapshot(app)
    second = snapshots.latest(shipped_letter().id)
    assert (second.count, second.added, second.removed) == (22, 4, 5)
    for entry in entries:
        assert client.get(f"{API}/entries/{entry.public_id}/proof").status_code == (404 if entry in entries[::5] else 200)
    assert all(verifier.verify_proof(proof_of(client, entry), KEY) for entry in entries if entry not in entries[::5])
    assert verifier.verify_chain(chain(client), KEY).startswith("verified: 2 snapshots")
