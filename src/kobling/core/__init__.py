"""What every domain app stands on: the base page view and API viewset, the access gate, the
outbox of e-mails and signed single-use links, and the periodic scheduler.

Layers (enforced by import-linter in ``make lint``): ``kobling.lib`` ← ``kobling.tenancy`` ←
``kobling.core`` ← the domain apps ← composition (``config``, ``api``, ``web``, ``demo``)."""
