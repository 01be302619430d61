"""promises: where each filed action item stands; tracker webhook deliveries; sync marks

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promises",
        sa.Column("item_id", AutoString(length=64), nullable=False),
        sa.Column("call_id", AutoString(length=64), nullable=False),
        sa.Column("issue_id", AutoString(length=64), nullable=True),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("tracker_state", AutoString(length=255), nullable=True),
        sa.Column("tracker_updated_at", UTCDateTime(), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=True),
        sa.Column("changed_by", AutoString(length=255), nullable=True),
        sa.Column("update_draft_id", AutoString(length=64), nullable=True),
        sa.Column("told_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_due_date", sa.Date(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["action_items.id"]),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("promises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promises_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promises_issue_id"), ["issue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promises_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_promises_update_draft_id"), ["update_draft_id"], unique=False
        )
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", AutoString(length=128), nullable=False),
        sa.Column("source", AutoString(length=32), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_received_at"), ["received_at"], unique=False
        )
    op.create_table(
        "sync_marks",
        sa.Column("name", AutoString(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("local_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_changed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("state_changed_by", AutoString(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("local_tasks", schema=None) as batch_op:
        batch_op.drop_column("state_changed_by")
        batch_op.drop_column("state_changed_at")
    op.drop_table("sync_marks")
    op.drop_table("webhook_deliveries")
    op.drop_table("promises")
