"""Access matrix for the profiles app (filled in with its endpoints and pages)."""

READS: dict = {}
PAGES: dict = {}
