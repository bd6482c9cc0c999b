"""Mail: messages rendered in the signer's language, queued in the outbox, delivered by a worker."""
