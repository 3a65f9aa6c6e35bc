from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkplaceConfig(AppConfig):
    name = "kobling.workplace"
    verbose_name = _("Workplace coaching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What a trained coach carries counts as Kirkpatrick level 3 for their course run.
        from kobling.support.kirkpatrick_load import register_spell_source
        from kobling.workplace.training import assignment_spells

        register_spell_source(assignment_spells)
