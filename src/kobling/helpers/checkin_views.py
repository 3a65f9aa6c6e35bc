"""The one-click check-in answer page reached from the e-mail link."""

from django.http import Http404, HttpRequest, HttpResponse


def checkin_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
