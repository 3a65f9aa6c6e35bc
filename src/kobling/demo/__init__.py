"""Deterministic demo data (composition: it builds on every domain app). ``loader.load_demo``
builds it; ``history``, ``partners`` and ``national`` add their parts; ``names`` holds the
fictional names and places they share. Refused in production."""
