"""Access matrix for the national app (filled in with its endpoints and pages)."""

READS: dict = {}
PAGES: dict = {}
