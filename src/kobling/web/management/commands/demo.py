from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kobling.demo.loader import DEMO_PASSWORD, DemoRefused, demo_users_summary, load_demo
from kobling.tenancy.models import Municipality


class Command(BaseCommand):
    help = "Load deterministic demo data (Fjordvik and Nordby). Refused in production."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only load when the database has no municipalities yet.",
        )

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if not settings.DEMO_ALLOWED:
            raise CommandError(
                "Demo data cannot be loaded in a production configuration (KOBLING_ENV=production)."
            )
        if Municipality.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; demo not loaded.")
                return
            raise CommandError("The database already has data. Use an empty database for the demo.")
        try:
            counts = load_demo()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {counts['municipalities']} municipalities, {counts['helpers']} training contacts."
            )
        )
        if options["verbosity"] >= 2 or not options["if_empty"]:
            # `make run` (--if-empty) leaves the list to `kobling serve`, which prints it anyway.
            self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
            for username, name, roles in demo_users_summary():
                self.stdout.write(f"  {username:32} {name:24} {roles}")
