from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "kobling.courses"
    verbose_name = _("Courses and qualifications")
    default_auto_field = "django.db.models.BigAutoField"
