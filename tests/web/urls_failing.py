"""A URL configuration with one view that fails, to see the 500 page and its log lines."""

from django.urls import path

from kobling.config.urls import handler500, urlpatterns


def failing(request, token):  # noqa: ANN001, ANN201
    raise RuntimeError("boom for 01019012345")  # a national-id-shaped number in the message


urlpatterns = [path("feil/<str:token>/", failing, name="failing"), *urlpatterns]

__all__ = ["handler500", "urlpatterns"]
