"""finding live views

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 02:42:55.583957
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("view_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key("fk_findings_view_sha256_artifacts", "artifacts", ["view_sha256"], ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_constraint("fk_findings_view_sha256_artifacts", type_="foreignkey")
        batch_op.drop_column("view_sha256")
