"""Small builders for the quality tests."""

from __future__ import annotations

from kobling.quality import services
from kobling.quality.checklist import CHECKLIST


def answers(default: int = 2, **by_code: int) -> dict[str, tuple[int, str]]:
    """Every item answered with ``default`` unless given (codes with "__" for ".")."""
    given = {k.replace("__", "."): v for k, v in by_code.items()}
    return {i.code: (given.get(i.code, default), "") for i in CHECKLIST.items}


def submitted(programme, year, by, default: int = 2, **by_code: int):
    assessment = services.assessment_create(
        programme=programme, year=year, by=by, answers=answers(default, **by_code)
    )
    return services.assessment_submit(assessment=assessment, by=by)
