"""``kobling dashboards refresh [--municipality CODE]``: recompute the dashboard aggregates now
(the worker does it on its tick when the data changed)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kobling.dashboards.refresh import refresh_municipality
from kobling.tenancy.models import Municipality


class Command(BaseCommand):
    help = "Dashboards. `dashboards refresh`: recompute the evaluation figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["refresh"])
        parser.add_argument("--municipality", help="municipality code (all when not given)")

    def handle(self, *args: object, **options: object) -> None:
        municipalities = Municipality.objects.order_by("code")
        if options["municipality"]:
            municipalities = municipalities.filter(code=options["municipality"])
            if not municipalities.exists():
                raise CommandError(f"No municipality with code {options['municipality']}.")
        for municipality in municipalities:
            started = time.perf_counter()
            done = refresh_municipality(municipality.pk)
            ms = (time.perf_counter() - started) * 1000
            self.stdout.write(
                f"{municipality.code} {municipality.name}: {done['facts']} figures in {ms:.0f} ms"
            )
