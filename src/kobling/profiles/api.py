from django.urls import path  # noqa: F401


def register(router) -> None:  # noqa: ANN001
    pass


extra_urls: list = []
