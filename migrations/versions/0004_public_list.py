"""public list: daily history, list version, listing indexes

Revision ID: 0004_public_list
Revises: 0003_moderation
Create Date: 2026-11-22 06:03:17.500742

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_public_list'
down_revision = '0003_moderation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_days',
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_published_days_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('letter_id', 'day', name=op.f('pk_published_days'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_changed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False))

    with op.batch_alter_table('published_tallies', schema=None) as batch_op:
        batch_op.alter_column('kind',
               existing_type=sa.VARCHAR(length=16),
               type_=sa.String(length=24),
               existing_nullable=False)

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index('ix_signatures_public_by_date', ['letter_id', 'status', 'kind', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_signatures_public_by_name', ['letter_id', 'status', 'kind', 'search_text', 'id'], unique=False)
        batch_op.create_index('ix_signatures_public_country_by_name', ['letter_id', 'status', 'kind', 'country', 'search_text', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_public_country_by_name')
        batch_op.drop_index('ix_signatures_public_by_name')
        batch_op.drop_index('ix_signatures_public_by_date')

    with op.batch_alter_table('published_tallies', schema=None) as batch_op:
        batch_op.alter_column('kind',
               existing_type=sa.String(length=24),
               type_=sa.VARCHAR(length=16),
               existing_nullable=False)

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('list_changed_at')

    op.drop_table('published_days')
