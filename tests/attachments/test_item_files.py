"""Files on a tester's feedback item (a screenshot): sent with the report through the personal
link or logged in, checked on their content like a brick's files, naming no uploader (an
anonymous round links nobody to the item), seen by those who triage (thumbnails, downloads),
refused to the others, and carried over to the brick an item becomes."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.factories import invite as invite_testers
from tests.factories import make_round, make_tester, token_of
from tracker.attachments import services as attachments
from tracker.attachments.models import Attachment
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.feedback.models import FeedbackItem


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def invited(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy, name="Léa Martin", language="fr")
    invite_testers(db_session, setup.round, [tester])
    db_session.commit()
    return setup, tester


def report(client, url: str, brick_id: int, file: tuple[bytes, str] | None, **extra):
    data = {
        "brick_id": str(brick_id), "location": "slide 4", "kind": "issue",
        "severity": "major", "title": "Le bouton ne répond pas", **extra,
    }  # fmt: skip
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return client.post(url, data=data, content_type="multipart/form-data")


def test_a_screenshot_goes_with_the_report_and_names_no_uploader(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    response = report(client, f"{url}/items/new", setup.bricks[0].id, (png(), "capture.png"))
    assert response.status_code == 303
    item = db_session.scalars(select(FeedbackItem)).one()
    [attached] = db_session.scalars(select(Attachment)).all()
    assert (attached.feedback_item_id, attached.brick_id) == (item.id, None)
    assert attached.uploaded_by_id is None and attached.media_type == "image/png"
    assert attached.has_thumbnail
    # The edit page lists it, and a second file may be added when editing.
    page = client.get(f"{url}/items/{item.id}/edit").get_data(as_text=True)
    assert "capture.png" in page and 'enctype="multipart/form-data"' in page
    report(client, f"{url}/items/{item.id}/edit", setup.bricks[0].id, (b"%PDF-1.4\n%", "s.pdf"))
    assert attachments.item_attachments(db_session, [item.id])[item.id][1].filename == "s.pdf"


def test_a_hostile_file_is_refused_and_the_report_comes_back_unsaved(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = report(client, f"{url}/items/new", setup.bricks[0].id, (svg, "capture.png"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="file-error"' in page and "son contenu qui est vérifié" in page  # in French
    assert 'value="Le bouton ne répond pas"' in page  # what was typed is kept
    assert db_session.scalar(select(func.count()).select_from(FeedbackItem)) == 0
    assert db_session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_report_holds_a_few_files_not_a_folder(client, db_session, invited):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    report(client, f"{url}/items/new", setup.bricks[0].id, (png(), "1.png"))
    item = db_session.scalars(select(FeedbackItem)).one()
    for n in range(2, attachments.MAX_ITEM_FILES + 1):
        report(client, f"{url}/items/{item.id}/edit", setup.bricks[0].id, (png(), f"{n}.png"))
    one_more = report(client, f"{url}/items/{item.id}/edit", setup.bricks[0].id, (png(), "x.png"))
    assert one_more.status_code == 422
    count = db_session.scalar(select(func.count()).select_from(Attachment))
    assert count == attachments.MAX_ITEM_FILES
    # The form offers no more file field once the limit is reached.
    page = client.get(f"{url}/items/{item.id}/edit").get_data(as_text=True)
    assert 'type="file"' not in page


def test_those_who_triage_see_the_files_others_are_refused(
    client, login, db_session, world, invited
):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    report(client, f"{url}/items/new", setup.bricks[0].id, (png(), "capture.png"))
    attached = db_session.scalars(select(Attachment)).one()
    board = f"/a/{world.academy.slug}/rounds/{setup.round.id}/triage"
    download = f"/a/{world.academy.slug}/attachments/{attached.id}/download"
    thumbnail = f"/a/{world.academy.slug}/attachments/{attached.id}/thumbnail"

    login(world.designer)
    page = client.get(board).get_data(as_text=True)
    assert "capture.png" in page and f"/attachments/{attached.id}/thumbnail" in page
    got = client.get(download)
    assert got.status_code == 200 and got.data == png()
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(thumbnail).mimetype == "image/png"
    # Nobody removes a tester's file through the brick's route.
    assert (
        client.post(f"/a/{world.academy.slug}/attachments/{attached.id}/delete").status_code == 403
    )

    for outsider in (world.vendor, world.stakeholder, world.tester, world.outsider):
        login(outsider)
        assert client.get(download).status_code in (403, 404), outsider
    assert db_session.get(Attachment, attached.id) is not None


def test_an_item_turned_into_a_brick_brings_its_screenshots(
    client, login, db_session, world, invited
):
    setup, tester = invited
    url = f"/r/{token_of(setup.round, tester)}"
    report(client, f"{url}/items/new", setup.bricks[0].id, (png(), "capture.png"))
    item = db_session.scalars(select(FeedbackItem)).one()
    login(world.designer)
    response = client.post(
        f"/a/{world.academy.slug}/rounds/{setup.round.id}/items/{item.id}/brick",
        data={f"item{item.id}-title": "Réparer le bouton", f"item{item.id}-format": "video"},
    )
    assert response.status_code == 303
    brick = db_session.scalar(select(Brick).where(Brick.title == "Réparer le bouton"))
    [copy] = attachments.brick_attachments(db_session, brick)
    assert copy.filename == "capture.png" and attachments.content(db_session, copy) == png()
    attached = db_session.scalar(
        select(Activity).where(
            Activity.brick_id == brick.id, Activity.kind == ActivityKind.ATTACHED
        )
    )
    assert attached is not None
    # The item keeps its own file.
    assert len(attachments.item_attachments(db_session, [item.id])[item.id]) == 1
