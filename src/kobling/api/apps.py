from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kobling.api"
    verbose_name = "API"

    def ready(self) -> None:
        from kobling.api import schema  # noqa: F401 - registers the schema extensions
