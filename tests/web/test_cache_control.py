"""Responses with personal data are never stored by a browser or proxy cache.

The outside probe found no ``Cache-Control`` on pages and API responses with personal data: a
shared computer's back button or a caching proxy could show them to the next person. Every page
of the page matrix and every list of the API router is checked, so a new one is covered."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.api.routes import list_routes
from tests.conftest import signed_in
from tests.web.test_page_matrix import PAGES

pytestmark = pytest.mark.django_db


def _private(response) -> bool:  # noqa: ANN001
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_every_page_to_a_signed_in_user_is_private_and_not_stored(cast):
    for role in ("coordinator_a", "referrer_a"):
        client = signed_in(cast.roles[role])
        for name, (arg_names, _codes) in PAGES.items():
            args = [getattr(cast, a).pk for a in arg_names]
            response = client.get(reverse(f"web:{name}", args=args))
            assert _private(response), (role, name, response.status_code)


def test_every_api_list_to_a_token_is_private_and_not_stored(cast, api):
    token = Token.objects.create(user=cast.coordinator_a)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    for prefix, _viewset in list_routes():
        response = client.get(f"/api/v1/{prefix}/")
        assert _private(response), (prefix, response.status_code)
    assert _private(client.get(f"/api/v1/helpers/{cast.helper_a.pk}/"))


def test_api_answers_to_anonymous_callers_are_not_stored_either(cast, api):
    assert _private(api().get("/api/v1/helpers/"))


def test_a_page_reached_by_a_signed_link_is_not_stored(cast):
    response = Client().get(reverse("web:checkin_answer", args=["not-a-valid-token"]))
    assert _private(response)
