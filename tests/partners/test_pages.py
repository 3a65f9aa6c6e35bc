"""The partner pages: list filters (kind, programme, agreement status), CSV export, create and
edit with validation messages and stale-version refusal, agreements on the detail page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kobling.partners.models import Agreement, Partner
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.partners.builders import agreement, partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(cast):
    """One partner per agreement status, plus one without an agreement."""
    other_programme = f.ProgrammeFactory(municipality=cast.a, name="Aktiv på dagtid")
    club = partner(cast.a, name="Aby IL", kind="sports_club", programmes=[cast.programme_a])
    agreement(club, ends=400)  # in force
    gym = partner(cast.a, name="Aby Treningssenter", kind="gym", programmes=[other_programme])
    agreement(gym, ends=20)  # ending soon
    centre = partner(cast.a, name="Frisklivssentralen", kind="frisklivssentral")
    agreement(centre, review=-3)  # review due
    hikers = partner(cast.a, name="Aby Turlag", kind="volunteer")
    agreement(hikers, starts=-500, ends=-10)  # expired
    nav = partner(cast.a, name="NAV Aby", kind="nav")
    partner(cast.b, name="Bestad IL")
    return {
        "club": club,
        "gym": gym,
        "centre": centre,
        "hikers": hikers,
        "nav": nav,
        "other_programme": other_programme,
    }


def _names(response) -> list[str]:  # noqa: ANN001
    return [p.name for p, _agreement in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Aby IL", "Aby Treningssenter", "Aby Turlag", "Frisklivssentralen", "NAV Aby"]),
        ("?kind=gym", ["Aby Treningssenter"]),
        ("?agreement_status=in_force", ["Aby IL"]),
        ("?agreement_status=ending_soon", ["Aby Treningssenter"]),
        ("?agreement_status=review_due", ["Frisklivssentralen"]),
        ("?agreement_status=expired", ["Aby Turlag"]),
        ("?agreement_status=none", ["NAV Aby"]),
        ("?q=turlag", ["Aby Turlag"]),
    ],
)
def test_the_list_filters(cast, register, query, expected):
    response = signed_in(cast.coordinator_a).get("/partnere/" + query)
    assert response.status_code == 200
    assert _names(response) == expected


def test_the_list_filters_by_programme(cast, register):
    client = signed_in(cast.coordinator_a)
    response = client.get(f"/partnere/?programme={register['other_programme'].pk}")
    assert _names(response) == ["Aby Treningssenter"]
    # Another municipality's programme is not a choice: the filter form is invalid, nothing
    # of B is shown.
    response = client.get(f"/partnere/?programme={cast.programme_b.pk}")
    assert "Bestad IL" not in response.content.decode()


def test_the_list_shows_the_current_agreement_and_its_status(cast, register):
    page = signed_in(cast.coordinator_a).get("/partnere/").content.decode()
    assert "Ending soon" in page
    assert "Review due" in page
    assert "Bestad IL" not in page


def test_the_csv_export_follows_the_filters_and_is_audited(cast, register):
    response = signed_in(cast.coordinator_a).get("/partnere/eksport.csv?kind=gym")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["id", "municipality", "name"]
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["name"] == "Aby Treningssenter"
    assert record["agreement_status"] == "ending_soon"
    assert record["programmes"] == "Aktiv på dagtid"
    assert AuditEntry.objects.filter(action="export", object_type="partners.partner").exists()


def test_the_csv_export_never_lets_a_spreadsheet_run_a_typed_cell(cast):
    partner(
        cast.a,
        name='=HYPERLINK("https://evil.test","Aby IL")',
        contact_name="@SUM(1+1)",
        contact_phone="+4712345678",
    )
    response = signed_in(cast.coordinator_a).get("/partnere/eksport.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["name"] == '\'=HYPERLINK("https://evil.test","Aby IL")'
    assert record["contact_name"] == "'@SUM(1+1)"
    assert record["contact_phone"] == "'+4712345678"


def test_a_partner_is_registered_on_the_page(cast):
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:partner_create"),
        {
            "municipality": cast.a.pk,
            "name": "Aby Svømmeklubb",
            "organisation_number": "988 077 917",
            "kind": "sports_club",
            "prevention_level": "universal",
            "programmes": [cast.programme_a.pk],
            "contact_email": "post@svom.test",
            "is_active": "on",
        },
    )
    p = Partner.objects.get(name="Aby Svømmeklubb")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:partner_detail", args=[p.pk])
    assert p.organisation_number == "988077917"
    assert list(p.programmes.all()) == [cast.programme_a]


def test_the_page_shows_validation_messages_next_to_the_fields(cast, register):
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:partner_create"),
        {
            "municipality": cast.a.pk,
            "name": "aby il",
            "organisation_number": "988077918",
            "kind": "gym",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["organisation_number"]
    assert not Partner.objects.filter(kind="gym", name__iexact="aby il").exists()
    response = client.post(
        reverse("web:partner_create"),
        {"municipality": cast.a.pk, "name": "aby il", "kind": "gym"},
    )
    assert response.context["form"].errors["name"] == [
        "The municipality already has a partner by this name."
    ]


def test_a_coordinator_cannot_register_a_partner_in_another_municipality(cast):
    response = signed_in(cast.coordinator_a).post(
        reverse("web:partner_create"), {"municipality": cast.b.pk, "name": "X", "kind": "gym"}
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not Partner.objects.filter(name="X").exists()


def test_an_edit_from_a_stale_page_is_refused(cast, register):
    club = register["club"]
    first, second = signed_in(cast.coordinator_a), signed_in(cast.admin_a)
    url = reverse("web:partner_edit", args=[club.pk])
    assert first.get(url).context["form"].initial["version"] == 1
    data = {"name": "Aby IL", "kind": "sports_club", "is_active": "on", "version": 1}
    assert first.post(url, {**data, "contact_name": "Kari"}).status_code == 302
    response = second.post(url, {**data, "contact_name": "Ola"})
    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["form"].non_field_errors())
    club.refresh_from_db()
    assert (club.contact_name, club.version) == ("Kari", 2)


def test_agreements_are_recorded_and_edited_on_the_pages(cast, register):
    nav = register["nav"]
    client = signed_in(cast.coordinator_a)
    response = client.post(
        reverse("web:agreement_create", args=[nav.pk]),
        {
            "kind": "cooperation",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "clauses": ["purpose"],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"] == [
        "The agreement cannot end before it starts."
    ]
    response = client.post(
        reverse("web:agreement_create", args=[nav.pk]),
        {
            "kind": "cooperation",
            "starts_on": "2026-01-01",
            "covers": "Felles oppfølging",
            "clauses": ["confidentiality", "purpose"],
        },
    )
    assert response.status_code == 302
    a = Agreement.objects.get(partner=nav)
    assert a.clauses == ["purpose", "confidentiality"]
    url = reverse("web:agreement_edit", args=[nav.pk, a.pk])
    response = client.post(
        url,
        {
            "kind": "cooperation",
            "starts_on": "2026-01-01",
            "review_on": "2026-06-01",
            "version": 1,
            "clauses": ["purpose", "confidentiality"],
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert (str(a.review_on), a.version) == ("2026-06-01", 2)
    stale = client.post(url, {"kind": "oral", "starts_on": "2026-01-01", "version": 1})
    assert stale.status_code == 200
    assert Agreement.objects.get(pk=a.pk).kind == "cooperation"
    page = client.get(reverse("web:partner_detail", args=[nav.pk])).content.decode()
    assert "Written cooperation agreement" in page
    assert "Confidentiality" in page


def test_an_agreement_is_found_only_under_its_own_partner(cast, register):
    a = Agreement.objects.get(partner=register["club"])
    url = reverse("web:agreement_edit", args=[register["gym"].pk, a.pk])
    assert signed_in(cast.coordinator_a).get(url).status_code == 404


def test_the_api_creates_and_updates_with_field_errors_and_409(cast, api, register):
    client = api(cast.coordinator_a)
    bad = client.post(
        "/api/v1/partners/",
        {"municipality": cast.a.pk, "name": "AbY iL", "kind": "gym", "organisation_number": "1"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {"organisation_number"}
    dup = client.post(
        "/api/v1/partners/",
        {"municipality": cast.a.pk, "name": "AbY iL", "kind": "gym"},
        format="json",
    )
    assert dup.status_code == 400
    assert "name" in dup.json()
    club = register["club"]
    no_version = client.patch(f"/api/v1/partners/{club.pk}/", {"contact_name": "X"}, format="json")
    assert no_version.status_code == 400
    ok = client.patch(
        f"/api/v1/partners/{club.pk}/", {"contact_name": "Kari", "version": 1}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert ok.json()["agreements"][0]["status"] == "in_force"
    stale = client.patch(
        f"/api/v1/partners/{club.pk}/", {"contact_name": "Ola", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    a = Agreement.objects.get(partner=club)
    bad_dates = client.patch(
        f"/api/v1/agreements/{a.pk}/", {"ends_on": "2000-01-01", "version": 1}, format="json"
    )
    assert bad_dates.status_code == 400
    assert "ends_on" in bad_dates.json()
    listed = client.get("/api/v1/agreements/?status=review_due").json()["results"]
    assert [row["partner"] for row in listed] == [register["centre"].pk]
