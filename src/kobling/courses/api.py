"""API for course providers, templates, runs, enrolments and qualifications."""

from __future__ import annotations


def register(router) -> None:  # noqa: ANN001
    pass


extra_urls: list = []
