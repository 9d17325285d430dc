"""Attachments: the type from the content (hostile files refused), downloads only as downloads,
thumbnails drawn by Brique, the brick's history, removal with the brick, the personal export."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.factories import make_brick
from tracker.attachments import services
from tracker.attachments.models import Attachment, AttachmentBlob
from tracker.auth.services import export_personal_data
from tracker.backlog import services as brick_services
from tracker.backlog.models import Activity, ActivityKind
from tracker.db import utcnow
from tracker.errors import DomainError

LIMIT = 100_000


def png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format="PNG")
    return out.getvalue()


def attach(session, world, brick, name, data, limit=LIMIT):
    return services.attach_to_brick(
        session, brick, actor=world.designer, filename=name, data=data, max_bytes=limit,
        now=utcnow(),
    )  # fmt: skip


HOSTILE = {
    "page.html": b"<!doctype html><script>alert(1)</script>",
    "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "looks-like.png": b"<html><body onload=alert(1)>",
    "svg-named.jpg": b'<?xml version="1.0"?><svg onload="alert(1)"/>',
    "script.pdf": b"<script>alert(1)</script>%PDF-1.4",
    "notes.docx": b"plain text, not a ZIP",
    "archive.exe": b"MZ\x90\x00",
    "broken.png": b"\x89PNG\r\n\x1a\n" + b"not really an image",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_mislabelled_files_are_refused(db_session, world, name):
    brick = make_brick(db_session, world, "Storyboard")

    with pytest.raises(DomainError) as refused:
        attach(db_session, world, brick, name, HOSTILE[name])
    assert refused.value.field == "file"


def test_the_content_decides_the_type_not_the_name(db_session, world):
    brick = make_brick(db_session, world, "Storyboard")

    image = attach(db_session, world, brick, "storyboard.pdf", png())
    pdf = attach(db_session, world, brick, "script", b"%PDF-1.7\n...")
    deck = attach(db_session, world, brick, "maquette.pptx", b"PK\x03\x04rest")

    assert image.media_type == "image/png" and image.has_thumbnail
    assert pdf.media_type == "application/pdf" and not pdf.has_thumbnail
    assert deck.media_type.endswith("presentationml.presentation")


def test_size_limit_and_empty_files(db_session, world, english_request):
    brick = make_brick(db_session, world)

    with pytest.raises(DomainError, match="too large"):
        attach(db_session, world, brick, "big.pdf", b"%PDF-" + b"x" * 2000, limit=1000)
    with pytest.raises(DomainError, match="empty"):
        attach(db_session, world, brick, "empty.pdf", b"")


def test_names_are_cleaned(db_session, world):
    brick = make_brick(db_session, world)

    made = attach(db_session, world, brick, "..\\..\\etc/pa\x00ss\nwd.pdf", b"%PDF-1")

    assert made.filename == "pass" + "wd.pdf"
    assert len(services.clean_filename("x" * 500 + ".pdf")) == services.FILENAME_MAX


def test_history_records_adding_and_removing(db_session, world):
    brick = make_brick(db_session, world)
    made = attach(db_session, world, brick, "plan.pdf", b"%PDF-1")
    services.remove_attachment(db_session, made, actor=world.designer, now=utcnow())

    kinds = db_session.execute(
        select(Activity.kind, Activity.changes)
        .where(
            Activity.brick_id == brick.id,
            Activity.kind.in_([ActivityKind.ATTACHED, ActivityKind.DETACHED]),
        )
        .order_by(Activity.id)
    ).all()
    assert [(k, c["attachment"]) for k, c in kinds] == [
        (ActivityKind.ATTACHED, [None, "plan.pdf"]),
        (ActivityKind.DETACHED, ["plan.pdf", None]),
    ]
    assert db_session.scalar(select(func.count(AttachmentBlob.id))) == 0


def test_files_go_with_their_brick(db_session, world):
    brick = make_brick(db_session, world)
    attach(db_session, world, brick, "a.png", png())

    brick_services.delete_brick(db_session, brick, actor=world.manager, now=utcnow())
    db_session.flush()
    db_session.expire_all()

    assert db_session.scalar(select(func.count(Attachment.id))) == 0
    assert db_session.scalar(select(func.count(AttachmentBlob.id))) == 0


def test_the_personal_export_lists_the_files_a_person_uploaded(db_session, world):
    brick = make_brick(db_session, world)
    attach(db_session, world, brick, "mine.pdf", b"%PDF-1")

    mine = export_personal_data(db_session, world.designer)["attachments"]
    theirs = export_personal_data(db_session, world.manager)["attachments"]

    assert [f["filename"] for f in mine] == ["mine.pdf"]
    assert mine[0]["brick"] == f"{world.academy.key_prefix}-{brick.number}"
    assert theirs == []


# -- Through HTTP ------------------------------------------------------------------------------


def upload(client, world, brick, name, data):
    return client.post(
        f"/a/{world.academy.slug}/bricks/{brick.number}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_then_download_as_a_download_only(client, login, db_session, world):
    brick = make_brick(db_session, world, "Vidéo")
    db_session.commit()
    login(world.designer)

    response = upload(client, world, brick, "écran.png", png())
    assert response.status_code == 303
    made = db_session.scalars(select(Attachment).where(Attachment.brick_id == brick.id)).one()

    page = client.get(f"/a/{world.academy.slug}/bricks/{brick.number}").get_data(as_text=True)
    assert "écran.png" in page and f"/attachments/{made.id}/thumbnail" in page

    download = client.get(f"/a/{world.academy.slug}/attachments/{made.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "image/png"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.data == png()

    thumb = client.get(f"/a/{world.academy.slug}/attachments/{made.id}/thumbnail")
    assert thumb.headers["Content-Type"] == "image/png"
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(thumb.data)).size[0] <= 320


def test_a_hostile_upload_is_refused_with_a_message(
    client, login, db_session, world, english_request
):
    brick = make_brick(db_session, world)
    db_session.commit()
    login(world.designer)

    response = upload(client, world, brick, "innocent.png", HOSTILE["drawing.svg"])

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not accepted" in page
    assert db_session.scalar(select(func.count(Attachment.id))) == 0


def test_an_upload_without_a_file_says_so(client, login, db_session, world, english_request):
    brick = make_brick(db_session, world)
    db_session.commit()
    login(world.designer)

    response = client.post(f"/a/{world.academy.slug}/bricks/{brick.number}/attachments")

    assert response.status_code == 303
    assert "Choose a file." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_another_academy_cannot_reach_a_file(client, login, db_session, world):
    brick = make_brick(db_session, world)
    made = attach(db_session, world, brick, "a.pdf", b"%PDF-1")
    db_session.commit()
    login(world.outsider)

    other = world.other_academy.slug
    assert client.get(f"/a/{other}/attachments/{made.id}/download").status_code == 404
