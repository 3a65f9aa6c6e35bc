"""The app's REST API; registered by kobling.api.urls."""

extra_urls: list = []


def register(router) -> None:  # noqa: ANN001
    """Register this app's viewsets."""
