"""channels: door threads, phone links, SMS opt-outs, lead inbox, channel events

Revision ID: 0009_channels
Revises: 0002
Create Date: 2026-12-01 14:34:56.475386
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_channels"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone_number", sa.String(length=32), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number"),
    )
    op.create_table(
        "channel_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("channel_events", schema=None) as batch_op:
        batch_op.create_index("ix_channel_events_account", ["account_id", "created_at"], unique=False)

    op.create_table(
        "sms_inboxes",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("sms_inboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_inboxes_account_id"), ["account_id"], unique=False)

    op.create_table(
        "phone_links",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("phone_number", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "user_id"),
        sa.UniqueConstraint("account_id", "phone_number"),
    )
    with op.batch_alter_table("phone_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_links_phone_number"), ["phone_number"], unique=False)

    op.create_table(
        "channel_threads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("thread_key", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "thread_key", "account_id", "user_id"),
    )
    with op.batch_alter_table("channel_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_threads_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "lead_threads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id"),
    )
    with op.batch_alter_table("lead_threads", schema=None) as batch_op:
        batch_op.create_index("ix_lead_threads_account", ["account_id", "updated_at"], unique=False)

    op.create_table(
        "lead_messages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["lead_threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thread_id", "external_id"),
    )
    with op.batch_alter_table("lead_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_messages_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index("ix_lead_messages_thread", ["thread_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_messages_thread")
        batch_op.drop_index(batch_op.f("ix_lead_messages_lead_id"))

    op.drop_table("lead_messages")
    with op.batch_alter_table("lead_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_threads_account")

    op.drop_table("lead_threads")
    with op.batch_alter_table("channel_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_threads_conversation_id"))

    op.drop_table("channel_threads")
    with op.batch_alter_table("phone_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_links_phone_number"))

    op.drop_table("phone_links")
    with op.batch_alter_table("sms_inboxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_inboxes_account_id"))

    op.drop_table("sms_inboxes")
    with op.batch_alter_table("channel_events", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_events_account")

    op.drop_table("channel_events")
    op.drop_table("sms_opt_outs")
