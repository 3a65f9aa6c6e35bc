"""Models of the shared mechanisms (outbox, scheduler)."""
