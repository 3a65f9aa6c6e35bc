class ConflictError(Exception):
    """Someone else changed the record since it was read; the edit is refused, nothing is saved."""
