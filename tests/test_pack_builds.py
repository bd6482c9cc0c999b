"""Delivery packs made in the background (issue 19): an admin asks, the outbox worker makes the
pack in a child process while mail goes on, and any app node hands out the ZIP from the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile

from sqlalchemy import func, select, update

from campaign.models import AuditEntry, PackBuild, PackStatus, PublishedTally
from campaign.publication import pack_builds

from .factories import SHIPPED_LETTER, log_in, make_admin, published, translated

PAGE = f"/admin/letters/{SHIPPED_LETTER}/packs"


def _ask(client, language: str):
    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', page).group(1)
    return client.post(PAGE, data={"csrf_token": token, "language": language})


def _builds(db, *where) -> list[PackBuild]:
    return list(db.session.scalars(select(PackBuild).where(*where).order_by(PackBuild.id)
                                   .execution_options(populate_existing=True)))


def _make_with_the_worker(app) -> None:
    """What the outbox worker does between batches: claim, then make the pack in a forked child."""
    builder = pack_builds.Builder(app)
    builder.poll()
    assert builder.child is not None, "a waiting pack was claimed"
    builder.child.join(timeout=180)
    assert builder.child.exitcode == 0


def test_an_admin_asks_for_a_pack_and_the_worker_makes_it_in_the_background(app, client, db):
    published(organisation="Rights Watch Beirut", country="LB")
    published(kind="individual", name="سلمى خالد", organisation=None, country="LB")
    download = f"/admin/letters/{SHIPPED_LETTER}/pack-ar.zip"
    assert client.get(PAGE).status_code == 302 and client.get(download).status_code == 302, "a login first"
    log_in(client, make_admin())
    assert f'href="{PAGE}"' in client.get("/admin/stats").get_data(as_text=True)

    nothing_yet = client.get(download)
    assert nothing_yet.status_code == 303 and nothing_yet.headers["Location"].endswith(PAGE)
    assert _ask(client, "ar").status_code == 303
    assert _ask(client, "ar").status_code == 303, "asking twice makes one pack"
    waiting = _builds(db)
    assert [(build.language, build.status) for build in waiting] == [("ar", PackStatus.WAITING)]
    page = client.get(PAGE).get_data(as_text=True)
    assert translated(app, "en", "Look again") in page
    assert translated(app, "en", "Waiting for the worker since %(date)s UTC.").split("%")[0] in page
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "pack.requested")) == 1

    _make_with_the_worker(app)
    [ready] = _builds(db)
    assert ready.status is PackStatus.READY and ready.names == 2 and ready.lease_until is None
    page = client.get(PAGE).get_data(as_text=True)
    assert translated(app, "en", "Look again") not in page and f'href="{download}"' in page
    response = client.get(download)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert re.search(rf'filename={SHIPPED_LETTER}-ar-pack-\d{{8}}-\d{{4}}\.zip', response.headers["Content-Disposition"])
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as bundle:
        manifest = json.loads(bundle.read(f"{SHIPPED_LETTER}-ar-manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(bundle.read(entry["name"])).hexdigest() == entry["sha256"]
        assert "سلمى خالد" in bundle.read(f"{SHIPPED_LETTER}-ar-signatories.csv").decode("utf-8-sig")
    assert json.loads(ready.manifest) == manifest
    first_id = ready.id

    assert "The list has changed since" not in client.get(PAGE).get_data(as_text=True)
    published(organisation="A Later Signatory", country="FR")
    assert translated(app, "en", "The list has changed since: make a new pack to hand over the list as it is now.") \
        in client.get(PAGE).get_data(as_text=True), "a pack older than the list says so"
    _ask(client, "ar")
    _make_with_the_worker(app)
    [newest] = _builds(db)
    assert newest.id > first_id and newest.names == 3, "the older pack made way for the newer"


def test_a_pack_that_cannot_be_made_says_why_and_can_be_asked_for_again(app, client, db):
    published(organisation="Rights Watch Beirut", country="LB")
    db.session.execute(update(PublishedTally).values(count=PublishedTally.count + 1))
    db.session.commit()
    log_in(client, make_admin())
    _ask(client, "en")
    pack_builds.build(pack_builds.claim_next())
    [failed] = _builds(db)
    assert failed.status is PackStatus.FAILED and failed.error == pack_builds.COUNTS_DISAGREE
    page = client.get(PAGE).get_data(as_text=True)
    assert f"flask --app wsgi letters recount {SHIPPED_LETTER}" in page and "Make the pack" in page
    assert _ask(client, "en").status_code == 303
    assert [build.status for build in _builds(db)] == [PackStatus.FAILED, PackStatus.WAITING]


def test_a_pack_whose_worker_died_is_made_again_after_the_lease_and_given_up_after_three(app, db):
    published(organisation="Rights Watch Beirut", country="LB")
    admin = make_admin()
    from campaign import letters

    pack_builds.request_build(letters.letter_by_slug(SHIPPED_LETTER), "en", admin)
    now = dt.datetime.now(dt.timezone.utc)
    build_id = pack_builds.claim_next(now)
    assert pack_builds.claim_next(now) is None, "claimed: no other worker takes it"
    lease = dt.timedelta(seconds=app.config["PACK_BUILD_LEASE_SECONDS"])
    for attempt in (2, 3, 4):
        now += lease + dt.timedelta(seconds=1)  # the worker died: its lease runs out
        assert pack_builds.claim_next(now) == build_id
        assert _builds(db)[0].attempts == attempt
    pack_builds.build(build_id)
    [given_up] = _builds(db)
    assert given_up.status is PackStatus.FAILED and given_up.error == pack_builds.GIVEN_UP


def test_the_worker_run_once_makes_the_packs_asked_for(app, db):
    published(organisation="Rights Watch Beirut", country="LB")
    from campaign import letters

    pack_builds.request_build(letters.letter_by_slug(SHIPPED_LETTER), "fr", make_admin())
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert [build.status for build in _builds(db)] == [PackStatus.READY]


def test_two_admins_asking_at_once_get_one_pack_made(app, db, monkeypatch):
    """Both see no pack waiting, both ask: the database keeps one, and the second gets that one."""
    from campaign import letters

    letter = letters.letter_by_slug(SHIPPED_LETTER)
    first = pack_builds.request_build(letter, "en", make_admin("one@campaign.example", role="admin"))
    real_pending = pack_builds._pending
    calls = []

    def blind_first(*args):  # the second admin's check ran before the first admin's commit
        calls.append(args)
        return None if len(calls) == 1 else real_pending(*args)

    monkeypatch.setattr(pack_builds, "_pending", blind_first)
    second = pack_builds.request_build(letter, "en", make_admin("two@campaign.example", role="admin"))
    assert second.id == first.id and len(calls) == 2  # refused by the index, then found
    assert [build.status for build in _builds(db, PackBuild.language == "en")] == [PackStatus.WAITING]
    other_language = pack_builds.request_build(letter, "fr", make_admin("three@campaign.example", role="admin"))
    assert other_language.id != first.id
