from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kobling.core"
    label = "core"
    verbose_name = _("Core: outbox, scheduler and access")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import datetime as dt

        from kobling.core.health import HEARTBEAT_JOB, heartbeat
        from kobling.core.outbox_tasks import outbox_tick
        from kobling.core.scheduler import EVERY_TICK, register
        from kobling.core.tasks import prune_task_results

        # First, so that every tick records it at once: /readyz reads it as the worker's pulse.
        register(HEARTBEAT_JOB, heartbeat, every=EVERY_TICK)
        # A tick a minute is 1,440 finished rows a day; keep two weeks (failures: 30 days).
        register("core.prune_task_results", prune_task_results, every=dt.timedelta(days=1))
        # Every outbox e-mail whose send got lost or whose retry is due (the apps' own jobs
        # queue their first e-mails and reminders; this one catches whatever is left).
        register("core.outbox", outbox_tick, every=EVERY_TICK)

        from django.db.models.signals import post_migrate

        from kobling.core.shared_cache import create_table

        # The shared cache's table (not a model) after every migrate.
        post_migrate.connect(create_table, sender=self, dispatch_uid="core.shared_cache")

        from kobling.core.invitations import on_invitation_needed
        from kobling.tenancy.signals import invitation_needed

        # The invitation e-mail of a new member, through the outbox.
        invitation_needed.connect(on_invitation_needed, dispatch_uid="core.invitations")
