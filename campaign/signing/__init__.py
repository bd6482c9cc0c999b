"""Signing: the rules of a signature from submission to withdrawal, its emailed links, how its row
is written, and the signer's own page."""
