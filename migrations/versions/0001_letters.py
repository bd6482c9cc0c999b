"""letters, letter texts and published tallies

Revision ID: 0001_letters
Revises: 
Create Date: 2026-11-22 05:16:37.159131

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_letters'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('original_language', sa.String(length=8), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('drafted_by', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('slug', name=op.f('uq_letters_slug'))
    )
    op.create_table('letter_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_letter_texts_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_texts')),
    sa.UniqueConstraint('letter_id', 'language', 'version', name=op.f('uq_letter_texts_letter_id_language_version'))
    )
    with op.batch_alter_table('letter_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_texts_letter_id'), ['letter_id'], unique=False)

    op.create_table('published_tallies',
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_published_tallies_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('letter_id', 'kind', 'country', name=op.f('pk_published_tallies'))
    )


def downgrade():
    op.drop_table('published_tallies')
    with op.batch_alter_table('letter_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_texts_letter_id'))

    op.drop_table('letter_texts')
    op.drop_table('letters')
