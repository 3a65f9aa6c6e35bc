"""Django's flush, with the audit log's append-only guard lifted for the duration.

Used by the test runner between transactional tests and to wipe a development database. Refused
in production: there the audit log is never emptied by the application."""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from kobling.tenancy.audit_guard import guard_installed, install_guard, remove_guard


class Command(DjangoFlush):
    def handle(self, **options) -> None:  # noqa: ANN003
        if settings.PRODUCTION:
            raise CommandError("flush is refused in production: the audit log is append-only.")
        connection = connections[options["database"]]
        had_guard = guard_installed(connection)
        remove_guard(connection)
        try:
            super().handle(**options)
        finally:
            if had_guard:
                install_guard(connection)
