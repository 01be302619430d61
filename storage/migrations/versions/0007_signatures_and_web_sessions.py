"""accepted request signatures (each accepted once) and server-side inbox sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accepted_signatures",
        sa.Column("signature", AutoString(length=64), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    with op.batch_alter_table("accepted_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accepted_signatures_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", AutoString(length=64), nullable=False),
        sa.Column("user", AutoString(length=255), nullable=False),
        sa.Column("via", AutoString(length=16), nullable=False),
        sa.Column("credential", AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user"), ["user"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_user"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("accepted_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accepted_signatures_expires_at"))
    op.drop_table("accepted_signatures")
