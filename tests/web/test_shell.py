import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/static/kobling/vendor/designsystemet.css",
        "/static/kobling/vendor/designsystemet-theme.css",
        "/static/kobling/kobling.css",
        "/static/kobling/vendor/htmx.min.js",
    ],
)
def test_vendored_design_system_and_htmx_are_served(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert int(response.get("Content-Length", "1")) > 0


def test_pages_are_norwegian_unless_the_user_chooses_english(settings):
    settings.LANGUAGE_CODE = "nb"
    body = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/konto/logg-inn/").content.decode()
    assert "Logg inn" in body and 'lang="nb"' in body
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/konto/logg-inn/"})
    assert response.status_code == 302
    assert "Sign in to Kobling" in client.get("/konto/logg-inn/").content.decode()


def test_api_clients_get_messages_in_the_language_they_ask_for(settings, cast, api):
    settings.LANGUAGE_CODE = "nb"
    body = {
        "municipality": cast.a.pk,
        "programme": cast.programme_a.pk,
        "first_name": "A",
        "last_name": "B",
        "email": "ab@example.test",
        "postcode": "1",
    }
    english = api(cast.coordinator_a).post(
        "/api/v1/helpers/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    norwegian = api(cast.coordinator_a).post("/api/v1/helpers/", body, format="json")
    assert "four digits" in str(english.data["postcode"])
    assert "fire sifre" in str(norwegian.data["postcode"])
