from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "kobling.dashboards"
    verbose_name = _("Dashboards")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kobling.core.scheduler import EVERY_TICK, register
        from kobling.dashboards.refresh import dashboards_tick

        # The aggregates behind the dashboards (they throttle themselves per municipality).
        register("dashboards.refresh", dashboards_tick, every=EVERY_TICK)
