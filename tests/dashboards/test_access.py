"""Access matrix for the dashboards app (filled in with its endpoints and pages)."""

READS: dict = {}
PAGES: dict = {}
