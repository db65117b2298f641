"""job picks: the records of a finding's other record choices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picks_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key("fk_analyses_picks_sha256_artifacts", "artifacts", ["picks_sha256"], ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_constraint("fk_analyses_picks_sha256_artifacts", type_="foreignkey")
        batch_op.drop_column("picks_sha256")
