"""The public sign-up page for would-be training contacts, and its spam protection."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.test import Client

from kobling.core.shared_cache import shared_cache
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Activity, Helper, HelperStatusChange, TargetGroup
from kobling.helpers.signup import signup_token
from kobling.tenancy.choices import ProgrammeKind
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_rate_limit():
    shared_cache().clear()
    yield
    shared_cache().clear()


def url(cast) -> str:
    return f"/bli-treningskontakt/{cast.a.code}/"


def form_data(cast, **over):
    data = {
        "first_name": "Sigrid",
        "last_name": "Solberg",
        "email": "Sigrid@Example.test",
        "phone": "+47 912 34 567",
        "birth_year": "1992",
        "gender": "female",
        "postcode": "6800",
        "home_area": "Førde sentrum",
        "languages": ["nb", "en"],
        "activities": [a.pk for a in Activity.objects.filter(code__in=["walking", "swimming"])],
        "target_groups": [TargetGroup.objects.get(code="mental_health").pk],
        "availability": ["1-afternoon", "1-evening", "5-morning"],
        "motivation": "Jeg liker å gå tur og vil hjelpe andre i gang.",
        "consent": "on",
        "website": "",
        # A form shown ten seconds ago.
        "started": signup_token(cast.a.code, issued_at=time.time() - 10),
    }
    data.update(over)
    return data


def signups(cast):
    return Helper.objects.filter(source="signup", municipality=cast.a)


def test_the_page_opens_for_anonymous_visitors(cast):
    response = Client().get(url(cast))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="started"' in html and 'name="website"' in html
    assert 'class="ds-sr-only"' in html


def test_a_successful_sign_up_creates_one_applicant_with_everything_and_a_history_row(cast):
    response = Client().post(url(cast), form_data(cast))
    assert response.status_code == 302
    assert response["Location"] == url(cast) + "?takk=1"
    helper = signups(cast).get()
    assert helper.programme == cast.programme_a and helper.municipality == cast.a
    assert helper.status == HelperStatus.APPLICANT and helper.source == "signup"
    assert helper.email == "sigrid@example.test"
    assert helper.languages == ["nb", "en"] and helper.birth_year == 1992
    assert helper.screening_notes.startswith("Jeg liker")
    assert sorted(a.code for a in helper.activities.all()) == ["swimming", "walking"]
    assert [t.code for t in helper.target_groups.all()] == ["mental_health"]
    windows = [(w.weekday, w.start_time, w.end_time) for w in helper.availability.all()]
    # Afternoon and evening on Tuesday join into one window.
    assert windows == [(1, dt.time(12), dt.time(21)), (5, dt.time(8), dt.time(12))]
    history = HelperStatusChange.objects.get(helper=helper)
    assert history.to_status == HelperStatus.APPLICANT and history.reason == "signup"
    assert history.by is None
    done = Client().get(response["Location"])
    assert done.status_code == 200 and "Thank you" in done.content.decode()


def test_an_invalid_postcode_is_shown_next_to_the_field_and_nothing_is_saved(cast):
    response = Client().post(url(cast), form_data(cast, postcode="68a0"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A Norwegian postcode has exactly four digits." in html
    assert 'class="ds-validation-message"' in html
    assert not signups(cast).exists()
    # The person's answers are kept.
    assert 'value="Sigrid"' in html


def test_consent_is_required(cast):
    data = form_data(cast)
    del data["consent"]
    response = Client().post(url(cast), data)
    assert response.status_code == 200
    assert "We need your consent" in response.content.decode()
    assert not signups(cast).exists()


def test_a_filled_in_honeypot_pretends_success_and_saves_nothing(cast):
    response = Client().post(url(cast), form_data(cast, website="http://spam.example"))
    assert response.status_code == 302 and response["Location"].endswith("?takk=1")
    assert not signups(cast).exists()


def test_a_form_sent_too_fast_saves_nothing_and_asks_again(cast):
    response = Client().post(url(cast), form_data(cast, started=signup_token(cast.a.code)))
    assert response.status_code == 200
    assert "That was quick" in response.content.decode()
    assert not signups(cast).exists()


@pytest.mark.parametrize(
    "started",
    [
        "",
        "forged-value",
        "stale",
        "other-municipality",
    ],
)
def test_a_missing_forged_or_stale_timestamp_saves_nothing(cast, started):
    token = {
        "stale": signup_token(cast.a.code, issued_at=time.time() - 5 * 3600),
        "other-municipality": signup_token(cast.b.code, issued_at=time.time() - 10),
    }.get(started, started)
    response = Client().post(url(cast), form_data(cast, started=token))
    assert response.status_code == 200
    assert "send it again" in response.content.decode()
    assert not signups(cast).exists()


def test_sign_ups_from_one_address_are_limited_with_a_friendly_429(cast, settings):
    settings.KOBLING_SIGNUP_RATE_LIMIT = 3
    client = Client()
    for n in range(3):
        response = client.post(url(cast), form_data(cast, email=f"person{n}@example.test"))
        assert response.status_code == 302
    response = client.post(url(cast), form_data(cast, email="person9@example.test"))
    assert response.status_code == 429
    assert "try again" in response.content.decode()
    assert signups(cast).count() == 3
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.99")
    assert other.post(url(cast), form_data(cast, email="other@example.test")).status_code == 302


def test_the_default_limit_is_five_sign_ups_per_hour(cast):
    client = Client()
    statuses = [
        client.post(url(cast), form_data(cast, email=f"p{n}@example.test")).status_code
        for n in range(6)
    ]
    assert statuses == [302, 302, 302, 302, 302, 429]


def test_a_known_e_mail_gets_the_same_thank_you_and_no_duplicate(cast):
    first = Client().post(url(cast), form_data(cast))
    again = Client().post(url(cast), form_data(cast, email="SIGRID@example.test", first_name="S"))
    assert (first.status_code, first["Location"]) == (again.status_code, again["Location"])
    assert signups(cast).count() == 1
    existing = Client().post(url(cast), form_data(cast, email=cast.helper_a2.email))
    assert existing.status_code == 302 and existing["Location"] == first["Location"]
    assert Helper.objects.filter(email=cast.helper_a2.email).count() == 1


def test_an_unknown_municipality_or_one_without_an_active_programme_is_404(cast):
    assert Client().get("/bli-treningskontakt/0000/").status_code == 404
    cast.programme_b.is_active = False
    cast.programme_b.save()
    assert Client().get(f"/bli-treningskontakt/{cast.b.code}/").status_code == 404
    f.ProgrammeFactory(
        municipality=cast.b, kind=ProgrammeKind.FRISKLIVSRESEPT, name="Frisklivssentral"
    )
    assert Client().get(f"/bli-treningskontakt/{cast.b.code}/").status_code == 404


def test_with_several_programmes_the_person_chooses_one(cast):
    youth = f.ProgrammeFactory(municipality=cast.a, name="Treningskontakt ungdom")
    page = Client().get(url(cast)).content.decode()
    assert "Treningskontakt ungdom" in page and 'type="radio"' in page
    missing = Client().post(url(cast), form_data(cast))
    assert missing.status_code == 200 and not signups(cast).exists()
    response = Client().post(url(cast), form_data(cast, programme=youth.pk))
    assert response.status_code == 302
    assert signups(cast).get().programme == youth
    # A programme of another municipality cannot be chosen.
    response = Client().post(
        url(cast), form_data(cast, programme=cast.programme_b.pk, email="x@example.test")
    )
    assert response.status_code == 200
    assert not Helper.objects.filter(email="x@example.test").exists()


def test_the_page_has_no_inline_style_or_script(cast):
    f.ProgrammeFactory(municipality=cast.a, name="Treningskontakt ungdom")
    client = Client()
    pages = [
        client.get(url(cast)),
        client.post(url(cast), form_data(cast, postcode="x")),
        client.get(url(cast) + "?takk=1"),
    ]
    for response in pages:
        html = response.content.decode()
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"\son[a-z]+=", html)
    assert "Content-Security-Policy" in pages[0]
    assert "no-cache" in pages[0]["Cache-Control"] or "max-age=0" in pages[0]["Cache-Control"]


def test_the_page_speaks_norwegian_when_asked(cast):
    response = Client().get(url(cast), HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 200
    assert 'lang="nb"' in response.content.decode()
