"""tracker customers: the cache of the tracker's customer records, and the local tracker's own
customers, customer needs and task links

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracker_customers",
        sa.Column("tracker", AutoString(length=32), nullable=False),
        sa.Column("key", AutoString(length=300), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tracker", "key"),
    )
    op.create_table(
        "local_customers",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("name", AutoString(length=255), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("owner_name", AutoString(length=255), nullable=True),
        sa.Column("owner_email", AutoString(length=255), nullable=True),
        sa.Column("slack_channel_id", AutoString(length=64), nullable=True),
        sa.Column("tier", AutoString(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "local_customer_needs",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("customer_id", AutoString(length=64), nullable=False),
        sa.Column("task_id", AutoString(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("local_customer_needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_local_customer_needs_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_local_customer_needs_task_id"), ["task_id"], unique=False
        )
    op.create_table(
        "local_task_links",
        sa.Column("task_id", AutoString(length=64), nullable=False),
        sa.Column("url", AutoString(length=1000), nullable=False),
        sa.Column("title", AutoString(length=500), nullable=False),
        sa.Column("subtitle", AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "url"),
    )


def downgrade() -> None:
    op.drop_table("local_task_links")
    with op.batch_alter_table("local_customer_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_customer_needs_task_id"))
        batch_op.drop_index(batch_op.f("ix_local_customer_needs_customer_id"))
    op.drop_table("local_customer_needs")
    op.drop_table("local_customers")
    op.drop_table("tracker_customers")
