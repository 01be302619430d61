"""calls keep the transcript as received, and the signature that delivered them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transcript_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signature", AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_calls_signature"), ["signature"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_signature"))
        batch_op.drop_column("signature")
        batch_op.drop_column("transcript_text")
