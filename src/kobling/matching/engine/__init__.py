"""The matching engine: pure Python/numpy/scipy, no Django.

Entry point: ``match(participants, contacts, weights=Weights(), constraints=Constraints(),
min_score=0.0) -> MatchResult`` (see engine/types.py for the data)."""
