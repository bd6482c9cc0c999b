"""signers: one address signs as a person and for each organisation; corrections wait for review;
addresses held until a decision, for the notice

Revision ID: 0006_signers
Revises: 0005_invisible_characters
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_signers'
down_revision = '0005_invisible_characters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_key', sa.String(length=240), server_default='individual', nullable=False))
        batch_op.add_column(sa.Column('correction', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('correction_at', sa.DateTime(timezone=True), nullable=True))
    # An organisation's search text is exactly its folded name (publication.listing.search_text_for).
    op.execute("UPDATE signatures SET signer_key = 'organisation:' || search_text WHERE kind = 'organisation'")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint('uq_signatures_letter_id_email_hash', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_signatures_letter_id_email_hash_signer_key'),
                                          ['letter_id', 'email_hash', 'signer_key'])
        batch_op.create_index('ix_signatures_correction_at', ['correction_at'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_box', sa.LargeBinary(), nullable=True))
    op.create_table('held_addresses',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('address_box', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_held_addresses_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_held_addresses'))
    )


def downgrade():
    op.drop_table('held_addresses')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('recipient_box')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_correction_at')
        batch_op.drop_constraint(batch_op.f('uq_signatures_letter_id_email_hash_signer_key'), type_='unique')
    op.execute("DELETE FROM signatures WHERE id NOT IN (SELECT MIN(id) FROM signatures GROUP BY letter_id, email_hash)"
               " AND email_hash IS NOT NULL")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_signatures_letter_id_email_hash', ['letter_id', 'email_hash'])
        batch_op.drop_column('correction_at')
        batch_op.drop_column('correction')
        batch_op.drop_column('signer_key')
