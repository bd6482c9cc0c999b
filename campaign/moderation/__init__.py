"""Moderation: the review queue and its decisions, warnings, the audit trail, admin accounts and
imports."""
