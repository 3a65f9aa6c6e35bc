from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kobling.web"
    verbose_name = "Web"
