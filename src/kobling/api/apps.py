from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kobling.api"
    verbose_name = "API"
