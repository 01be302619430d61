"""update drafts beside follow-ups: a draft's kind, its parent Message-ID and customer

A call keeps one follow-up (now a partial unique index on ``kind = 'followup'``) and may
have any number of updates.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FOLLOWUP_ONLY = sa.text("kind = 'followup'")
# The initial schema's UniqueConstraint("call_id") has no name; this gives it one to drop.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint("drafts_call_id_key", "drafts", type_="unique")
        with op.batch_alter_table("drafts", schema=None) as batch_op:
            _add(batch_op)
    else:
        with op.batch_alter_table("drafts", schema=None, naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint("uq_drafts_call_id", type_="unique")
            _add(batch_op)
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drafts_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_drafts_customer_key"), ["customer_key"], unique=False)
        batch_op.create_index(
            "uq_drafts_followup_call",
            ["call_id"],
            unique=True,
            sqlite_where=FOLLOWUP_ONLY,
            postgresql_where=FOLLOWUP_ONLY,
        )


def _add(batch_op: object) -> None:
    batch_op.add_column(  # type: ignore[attr-defined]
        sa.Column("kind", AutoString(length=16), nullable=False, server_default="followup")
    )
    batch_op.add_column(  # type: ignore[attr-defined]
        sa.Column("in_reply_to", AutoString(length=255), nullable=True)
    )
    batch_op.add_column(  # type: ignore[attr-defined]
        sa.Column("customer_key", AutoString(length=255), nullable=True)
    )
    batch_op.add_column(  # type: ignore[attr-defined]
        sa.Column("drafted_by", AutoString(length=64), nullable=True)
    )
    batch_op.add_column(  # type: ignore[attr-defined]
        sa.Column("drafted_sha", AutoString(length=64), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index("uq_drafts_followup_call")
        batch_op.drop_index(batch_op.f("ix_drafts_customer_key"))
        batch_op.drop_index(batch_op.f("ix_drafts_kind"))
        batch_op.drop_index(batch_op.f("ix_drafts_call_id"))
        batch_op.drop_column("drafted_sha")
        batch_op.drop_column("drafted_by")
        batch_op.drop_column("customer_key")
        batch_op.drop_column("in_reply_to")
        batch_op.drop_column("kind")
        batch_op.create_unique_constraint("uq_drafts_call_id", ["call_id"])
