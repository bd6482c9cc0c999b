"""Publication: what the public sees of the signatures: counts, the list, its charts and open data."""
