"""Django's flush, with the database's row guards (the audit log's append-only triggers and the
frozen rows', see kobling.lib.row_guards) lifted for the duration.

Used by the test runner between transactional tests and to wipe a development database. Refused
in production: there the audit log is never emptied by the application."""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from kobling.lib.row_guards import lift_all, put_back


class Command(DjangoFlush):
    def handle(self, **options) -> None:  # noqa: ANN003
        if settings.PRODUCTION:
            raise CommandError("flush is refused in production: the audit log is append-only.")
        connection = connections[options["database"]]
        lifted = lift_all(connection)
        try:
            super().handle(**options)
        finally:
            put_back(connection, lifted)
