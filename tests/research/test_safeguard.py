"""The re-identification safeguard: birth years in 5-year bands and referral months as quarters
(on by default), and the export's smallest group sharing birth year (or band), gender and
programme — in the README, on the record, on its page and in the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.research import dataset
from kobling.research.models import ResearchExport
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.research.conftest import consent, export
from tests.research.test_access import body
from tests.research.test_dataset import DATA_FILES, table, unpack

pytestmark = pytest.mark.django_db

WARNING = "WARNING: at least one group has fewer than 5 participants"
PAGE_WARNING = "Warning: the smallest group in this export is only"


def participant(
    programme, born: int, gender: str = "female", *, received: dt.datetime | None = None
):
    """A consenting participant of ``programme`` born in ``born``."""
    person = f.ParticipantFactory(
        municipality=programme.municipality, birth_date=dt.date(born, 6, 1), gender=gender
    )
    referral = f.ReferralFactory(
        programme=programme,
        participant=person,
        received_at=received or timezone.now() - dt.timedelta(days=20),
    )
    consent(referral, given=10)
    return person


@pytest.mark.parametrize(
    ("year", "band"),
    [
        (1980, "1980-1984"),
        (1981, "1980-1984"),
        (1984, "1980-1984"),
        (1985, "1985-1989"),
        (2009, "2005-2009"),
    ],
)
def test_a_birth_year_falls_in_a_five_year_band(year, band):
    assert dataset.birth_year_band(year) == band


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2025, 1, 1), "2025-Q1"),
        (dt.date(2025, 3, 31), "2025-Q1"),
        (dt.date(2025, 4, 1), "2025-Q2"),
        (dt.date(2025, 8, 14), "2025-Q3"),
        (dt.date(2025, 12, 31), "2025-Q4"),
    ],
)
def test_a_day_falls_in_its_quarter(day, label):
    assert dataset.quarter(day) == label


def test_bands_are_on_unless_turned_off(cast):
    participant(cast.programme_a, 1981)
    result = export(cast.admin_a, [cast.programme_a])
    assert result.export.birth_year_bands is True
    files = unpack(result.content)
    (person,) = table(files, "participants.csv")
    assert person["birth_year"] == "1980-1984"
    (referral,) = table(files, "referrals.csv")
    assert re.fullmatch(r"\d{4}-Q[1-4]", referral["referral_month"])
    assert "5-year band" in files["README.txt"]


def test_the_referral_quarter_is_that_of_the_day_received(cast):
    received = timezone.now() - dt.timedelta(days=40)
    participant(cast.programme_a, 1981, received=received)
    files = unpack(export(cast.admin_a, [cast.programme_a]).content)
    (referral,) = table(files, "referrals.csv")
    assert referral["referral_month"] == dataset.quarter(timezone.localdate(received))
    exact = unpack(export(cast.admin_a, [cast.programme_a], birth_year_bands=False).content)
    (referral,) = table(exact, "referrals.csv")
    assert referral["referral_month"] == f"{timezone.localdate(received):%Y-%m}"


def test_with_bands_off_a_lone_person_is_a_group_of_one(cast):
    participant(cast.programme_a, 1981)
    participant(cast.programme_a, 1983)
    result = export(cast.admin_a, [cast.programme_a], birth_year_bands=False)
    assert sorted(r["birth_year"] for r in table(unpack(result.content), "participants.csv")) == [
        "1981",
        "1983",
    ]
    assert result.export.smallest_group == 1
    assert result.export.birth_year_bands is False
    readme = unpack(result.content)["README.txt"]
    assert "Smallest group: 1." in readme and WARNING in readme
    assert "Birth year instead of birth date; referral month" in readme


def test_with_bands_on_the_same_people_form_one_group(cast):
    participant(cast.programme_a, 1981)
    participant(cast.programme_a, 1983)
    result = export(cast.admin_a, [cast.programme_a])
    files = unpack(result.content)
    assert {r["birth_year"] for r in table(files, "participants.csv")} == {"1980-1984"}
    assert result.export.smallest_group == 2
    assert "Smallest group: 2." in files["README.txt"] and WARNING in files["README.txt"]


def test_gender_and_programme_split_the_groups(cast):
    other = type(cast.programme_a).objects.create(
        municipality=cast.a, kind="frisklivsresept", name="Frisklivsresept"
    )
    for _i in range(3):
        participant(cast.programme_a, 1981)
    participant(cast.programme_a, 1982, "male")  # same band, other gender: alone
    assert export(cast.admin_a, [cast.programme_a]).export.smallest_group == 1
    participant(cast.programme_a, 1982, "male")
    assert export(cast.admin_a, [cast.programme_a]).export.smallest_group == 2
    # The same band and gender in another programme is a group of its own.
    participant(other, 1980)
    assert export(cast.admin_a, [cast.programme_a, other]).export.smallest_group == 1
    assert export(cast.admin_a, [cast.programme_a]).export.smallest_group == 2


def test_a_participant_in_two_programmes_counts_in_both(cast):
    other = type(cast.programme_a).objects.create(
        municipality=cast.a, kind="frisklivsresept", name="Frisklivsresept"
    )
    person = participant(cast.programme_a, 1981)
    second = f.ReferralFactory(
        programme=other, participant=person, received_at=timezone.now() - dt.timedelta(days=5)
    )
    consent(second, given=1)
    participant(cast.programme_a, 1982)
    rows = {
        "participants.csv": [
            {"participant_id": "a", "birth_year": "1980-1984", "gender": "female"},
            {"participant_id": "b", "birth_year": "1980-1984", "gender": "female"},
        ],
        "referrals.csv": [
            {"participant_id": "a", "programme": "P1"},
            {"participant_id": "a", "programme": "P2"},
            {"participant_id": "b", "programme": "P1"},
        ],
    }
    assert dataset.smallest_group(rows) == 1
    assert export(cast.admin_a, [cast.programme_a, other]).export.smallest_group == 1
    assert export(cast.admin_a, [cast.programme_a]).export.smallest_group == 2


def test_groups_of_five_or_more_carry_no_warning(cast):
    for year in (1980, 1981, 1982, 1983, 1984):
        participant(cast.programme_a, year)
    result = export(cast.admin_a, [cast.programme_a])
    readme = unpack(result.content)["README.txt"]
    assert result.export.smallest_group == 5
    assert "Smallest group: 5." in readme and "WARNING" not in readme
    assert not result.export.small_group


def test_the_choice_and_the_smallest_group_are_stored_and_audited(cast):
    participant(cast.programme_a, 1981)
    participant(cast.programme_a, 1983)
    banded = export(cast.admin_a, [cast.programme_a]).export
    exact = export(cast.admin_a, [cast.programme_a], birth_year_bands=False).export
    stored = {e.pk: (e.birth_year_bands, e.smallest_group) for e in ResearchExport.objects.all()}
    assert stored == {banded.pk: (True, 2), exact.pk: (False, 1)}
    entries = {e.changes["export"]: e.changes for e in AuditEntry.objects.filter(action="export")}
    assert entries[banded.pk]["birth_year_bands"] is True
    assert entries[banded.pk]["smallest_group"] == 2
    assert entries[exact.pk]["birth_year_bands"] is False
    assert entries[exact.pk]["smallest_group"] == 1


@pytest.mark.parametrize("bands", [True, False])
def test_the_dictionary_describes_every_column_in_the_form_exported(cast, bands):
    participant(cast.programme_a, 1981)
    files = unpack(export(cast.admin_a, [cast.programme_a], birth_year_bands=bands).content)
    rows = table(files, "data_dictionary.csv")
    described = {(r["file"], r["column"]) for r in rows}
    present = set()
    for name in DATA_FILES:
        header = next(iter(files[name].splitlines())).split(",")
        present |= {(name, column) for column in header}
    assert present == described
    types = {(r["file"], r["column"]): r["type"] for r in rows}
    expected = ("band", "quarter") if bands else ("integer", "month")
    assert (
        types["participants.csv", "birth_year"],
        types["referrals.csv", "referral_month"],
    ) == expected


def test_the_api_accepts_the_choice_and_defaults_to_bands(cast, api):
    participant(cast.programme_a, 1981)
    client = api(cast.admin_a)
    exact = client.post(
        "/api/v1/research-exports/",
        {**body(cast.programme_a), "birth_year_bands": False},
        format="json",
    )
    assert exact.status_code == 201
    (person,) = table(unpack(exact.content), "participants.csv")
    assert person["birth_year"] == "1981"
    default = client.post("/api/v1/research-exports/", body(cast.programme_a), format="json")
    assert default.status_code == 201
    (person,) = table(unpack(default.content), "participants.csv")
    assert person["birth_year"] == "1980-1984"
    record = client.get(exact["Location"]).json()
    assert record["birth_year_bands"] is False and record["smallest_group"] == 1
    assert client.get(default["Location"]).json()["birth_year_bands"] is True
    bad = client.post(
        "/api/v1/research-exports/",
        {**body(cast.programme_a), "birth_year_bands": "maybe"},
        format="json",
    )
    assert bad.status_code == 400 and "birth_year_bands" in bad.json()
    assert ResearchExport.objects.count() == 2


def test_the_form_offers_bands_ticked_and_explains_them(cast):
    page = signed_in(cast.admin_a).get(reverse("web:research_export_create"))
    field = page.context["form"]["birth_year_bands"]
    assert field.value() is True
    html = page.content.decode()
    assert re.search(r'<input[^>]*name="birth_year_bands"[^>]*checked', html)
    assert "5-year bands (e.g. 1980-1984)" in html
    assert "approval covers exact birth years" in html
    assert 'id="id_birth_year_bands_helptext"' in html  # what aria-describedby names


def test_the_form_turns_bands_on_or_off(cast):
    participant(cast.programme_a, 1981)
    client = signed_in(cast.admin_a)
    url = reverse("web:research_export_create")
    client.post(url, {**body(cast.programme_a), "birth_year_bands": "on"})
    client.post(url, body(cast.programme_a))  # an unticked box is not sent
    assert sorted(ResearchExport.objects.values_list("birth_year_bands", flat=True)) == [
        False,
        True,
    ]


def test_the_record_page_shows_the_smallest_group_and_warns_when_small(cast):
    participant(cast.programme_a, 1981)
    small = export(cast.admin_a, [cast.programme_a]).export
    client = signed_in(cast.admin_a)
    page = client.get(reverse("web:research_export_detail", args=[small.pk])).content.decode()
    assert "1 participant" in page and PAGE_WARNING in page
    assert "5-year bands of birth years and referral quarters" in page
    for year in (1980, 1982, 1983, 1984):
        participant(cast.programme_a, year)
    large = export(cast.admin_a, [cast.programme_a], birth_year_bands=False).export
    assert large.smallest_group == 1  # exact years: everyone alone
    large = export(cast.admin_a, [cast.programme_a]).export
    page = client.get(reverse("web:research_export_detail", args=[large.pk])).content.decode()
    assert "5 participants" in page and PAGE_WARNING not in page


def test_an_export_from_before_the_safeguard_shows_no_group(cast):
    from tests.research.test_access import record

    made = record(cast.a, cast.programme_a)
    page = signed_in(cast.admin_a).get(reverse("web:research_export_detail", args=[made.pk]))
    assert "Not recorded" in page.content.decode() and PAGE_WARNING not in page.content.decode()
