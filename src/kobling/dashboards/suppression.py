"""The small-cell rules live in :mod:`kobling.lib.suppression` (moved down a layer so that apps
below the dashboards — the providers' contract follow-up — use the same rules). This name is
kept for the modules that import it from here."""

from kobling.lib.suppression import (  # noqa: F401
    SUPPRESSED,
    THRESHOLD,
    Number,
    derived,
    describing,
    hidden,
    is_small,
    part_of,
    suppress,
    suppress_chain,
    suppress_group,
    suppress_rows,
    suppress_table,
)
