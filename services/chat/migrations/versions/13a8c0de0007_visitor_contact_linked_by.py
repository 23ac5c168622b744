"""how a visitor was linked to their contact, stored (CHAT-8): `visitor_contacts.linked_by`

`site_signed` (an identify the gateway checked the site's signature of), `site_unsigned` (an identify without
one: anyone's word) or `prechat_form` (what the visitor typed in the pre-chat form). Until now it was derived on
each read; this revision writes down what that derivation said for the links there are, with the same rule:

- a contact no identify ever reached (`external_id` null): `prechat_form`;
- otherwise a link made within 5 s after the visitor's pre-chat answers (the form stores its answers, then
  links): `prechat_form`;
- any other: `site_unsigned`. Whether those identifies were signed was never kept, so none is claimed verified
  (the card shows them as the site's, unverified); the visitor's next identify writes what it is.

A link still null (written by a process older than this revision) is read with the first and last rule.

Revision ID: 13a8c0de0007
Revises: 13f6c0de0006
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "13a8c0de0007"
down_revision: str | None = "13f6c0de0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRECHAT_LINK_SECONDS = 5  # the window of the derivation this replaces

links = sa.table(
    "visitor_contacts",
    sa.column("account_id", sa.String),
    sa.column("visitor_id", sa.String),
    sa.column("contact_id", sa.String),
    sa.column("linked_at", sa.DateTime(timezone=True)),
    sa.column("linked_by", sa.String),
)
contacts = sa.table("chat_contacts", sa.column("id", sa.String), sa.column("external_id", sa.String))
answers = sa.table(
    "prechat_answers",
    sa.column("account_id", sa.String),
    sa.column("visitor_id", sa.String),
    sa.column("answered_at", sa.DateTime(timezone=True)),
)


def _fill() -> None:
    bind = op.get_bind()
    never_identified = sa.select(contacts.c.id).where(contacts.c.external_id.is_(None))
    bind.execute(sa.update(links).where(links.c.contact_id.in_(never_identified)).values(linked_by="prechat_form"))
    answered = sa.select(links.c.account_id, links.c.visitor_id, links.c.linked_at, answers.c.answered_at).join(
        answers, sa.and_(answers.c.account_id == links.c.account_id, answers.c.visitor_id == links.c.visitor_id)
    )
    window = timedelta(seconds=PRECHAT_LINK_SECONDS)
    typed = [
        {"account": row.account_id, "visitor": row.visitor_id}
        for row in bind.execute(answered.where(links.c.linked_by.is_(None)))
        if row.answered_at <= row.linked_at <= row.answered_at + window
    ]
    if typed:
        bind.execute(
            sa.update(links)
            .where(links.c.account_id == sa.bindparam("account"), links.c.visitor_id == sa.bindparam("visitor"))
            .values(linked_by="prechat_form"),
            typed,
        )
    bind.execute(sa.update(links).where(links.c.linked_by.is_(None)).values(linked_by="site_unsigned"))


def upgrade() -> None:
    with op.batch_alter_table("visitor_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_by", sa.String(length=16), nullable=True))
    _fill()


def downgrade() -> None:
    with op.batch_alter_table("visitor_contacts", schema=None) as batch_op:
        batch_op.drop_column("linked_by")
