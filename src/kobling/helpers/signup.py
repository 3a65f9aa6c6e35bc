"""Public sign-up for would-be training contacts (built out with spam protection)."""

from django.http import Http404, HttpRequest, HttpResponse


def signup_view(request: HttpRequest, municipality_code: str) -> HttpResponse:
    raise Http404
