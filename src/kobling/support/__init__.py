"""Support around every helper: supervision groups and sessions, supervision-hour allowances and the pool they return to, and training evaluated at Kirkpatrick's four levels."""
