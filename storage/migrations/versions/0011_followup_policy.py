"""follow-up policy: the policy a call ran under, no follow-up needed, Gmail drafts

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-04 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followup_policy", AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("followup_policy_source", AutoString(length=255), nullable=True)
        )
        batch_op.add_column(sa.Column("no_followup_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("followup_notice_ref", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("drafted_anyway_by", AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column("drafted_anyway_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gmail_draft_id", AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column("mailbox_url", AutoString(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("mailbox_url")
        batch_op.drop_column("gmail_draft_id")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("drafted_anyway_at")
        batch_op.drop_column("drafted_anyway_by")
        batch_op.drop_column("followup_notice_ref")
        batch_op.drop_column("no_followup_reason")
        batch_op.drop_column("followup_policy_source")
        batch_op.drop_column("followup_policy")
