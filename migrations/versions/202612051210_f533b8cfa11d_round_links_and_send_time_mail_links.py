"""Round links and send-time mail links: no bearer token at rest in clear.

- round_link: an invitation's personal links, random tokens stored as SHA-256 (several per
  invitation: each e-mail brings its own). The existing invitations' link hashes are copied, so
  the links already e-mailed keep working; round_invitation.token_hash goes.
- mail_message.link_kind / link_ref: the sender makes the token when the message leaves; the
  stored bodies keep a placeholder. The personal links already in stored bodies are replaced by
  the placeholder (a message still queued gets its issuer, so it leaves with a working link).
- feed_token.nonce goes: a feed token is random, its hash alone is kept (existing links work).

Revision ID: f533b8cfa11d
Revises: 00b9a75215a8
Create Date: 2026-12-05 12:10:29.474396
"""

import hashlib
import re
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.db

revision: str = "f533b8cfa11d"
down_revision: str | None = "00b9a75215a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACEHOLDER = "{link-token}"  # tracker.mail.services.LINK_TOKEN
ROUND_LINK = re.compile(r"/r/([A-Za-z0-9_-]{16,100})")


def _strip_round_links(connection: sa.Connection) -> None:
    messages = connection.execute(
        sa.text(
            "SELECT id, status, body_text, body_html FROM mail_message"
            " WHERE body_text LIKE '%/r/%' OR body_html LIKE '%/r/%'"
        )
    ).all()
    for id_, status, body_text, body_html in messages:
        tokens = set(ROUND_LINK.findall(body_text or "")) | set(ROUND_LINK.findall(body_html or ""))
        link_kind, link_ref = "", None
        if status in ("queued", "sending"):
            for token in tokens:
                link_ref = connection.scalar(
                    sa.text("SELECT invitation_id FROM round_link WHERE token_hash = :h"),
                    {"h": hashlib.sha256(token.encode()).hexdigest()},
                )
                if link_ref is not None:
                    link_kind = "round_invitation"
                    break
        connection.execute(
            sa.text(
                "UPDATE mail_message SET body_text = :text, body_html = :html,"
                " link_kind = :kind, link_ref = :ref WHERE id = :id"
            ),
            {
                "text": ROUND_LINK.sub(f"/r/{PLACEHOLDER}", body_text or ""),
                "html": ROUND_LINK.sub(f"/r/{PLACEHOLDER}", body_html)
                if body_html is not None
                else None,
                "kind": link_kind,
                "ref": link_ref,
                "id": id_,
            },
        )


def upgrade() -> None:
    op.create_table(
        "round_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["round_invitation.id"],
            name=op.f("fk_round_link_invitation_id_round_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_round_link_token_hash")),
    )
    with op.batch_alter_table("round_link", schema=None) as batch_op:
        batch_op.create_index("ix_round_link_invitation_id", ["invitation_id"], unique=False)
    op.execute(
        "INSERT INTO round_link (invitation_id, token_hash, created_at)"
        " SELECT id, token_hash, created_at FROM round_invitation"
    )

    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link_kind", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("link_ref", sa.Integer(), nullable=True))
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.alter_column(
            "link_kind",
            existing_type=sa.String(length=40),
            server_default=None,
            existing_nullable=False,
        )
    _strip_round_links(op.get_bind())

    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.drop_column("nonce")

    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_round_invitation_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")


def downgrade() -> None:
    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.VARCHAR(length=64), nullable=True))
    connection = op.get_bind()
    # One of each invitation's links survives; an invitation without any gets an unusable hash.
    for invitation_id, token_hash in connection.execute(
        sa.text("SELECT invitation_id, MIN(token_hash) FROM round_link GROUP BY invitation_id")
    ).all():
        connection.execute(
            sa.text("UPDATE round_invitation SET token_hash = :h WHERE id = :id"),
            {"h": token_hash, "id": invitation_id},
        )
    for (invitation_id,) in connection.execute(
        sa.text("SELECT id FROM round_invitation WHERE token_hash IS NULL")
    ).all():
        connection.execute(
            sa.text("UPDATE round_invitation SET token_hash = :h WHERE id = :id"),
            {"h": secrets.token_hex(32), "id": invitation_id},
        )
    with op.batch_alter_table("round_invitation", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_round_invitation_token_hash"), ["token_hash"]
        )

    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.drop_column("link_ref")
        batch_op.drop_column("link_kind")

    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nonce", sa.VARCHAR(length=64), nullable=True))

    with op.batch_alter_table("round_link", schema=None) as batch_op:
        batch_op.drop_index("ix_round_link_invitation_id")
    op.drop_table("round_link")
