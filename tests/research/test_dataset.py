"""What a research export contains, and above all what it never contains."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.research import dataset
from kobling.research.models import ResearchExport
from kobling.tenancy.models import AuditEntry
from tests.research.conftest import BIRTH_DATE, POSTCODE, SECRETS, days_ago, export, full_history

pytestmark = pytest.mark.django_db

DATA_FILES = (
    "participants.csv",
    "referrals.csv",
    "pairings.csv",
    "sessions.csv",
    "review_scores.csv",
    "goals.csv",
    "follow_ups.csv",
    "courses.csv",
    "provider_visits.csv",
    "rehab_courses.csv",
)
PSEUDONYM = re.compile(r"\b[0-9a-f]{16}\b")


def unpack(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def table(files: dict[str, str], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name])))


def pseudonyms(files: dict[str, str]) -> set[str]:
    found = set()
    for name, (_about, columns) in dataset.FILES.items():
        for row in table(files, name):
            found |= {row[c.name] for c in columns if c.type == "pseudonym" and row[c.name]}
    return found


def test_the_archive_holds_a_readme_a_dictionary_and_every_data_file(cast, world):
    files = unpack(export(cast.admin_a, [cast.programme_a]).content)
    assert set(files) == {"README.txt", "data_dictionary.csv", *DATA_FILES}


def test_only_participants_with_research_consent_in_force_are_exported(cast, world):
    result = export(cast.admin_a, [cast.programme_a])
    files = unpack(result.content)
    assert len(table(files, "participants.csv")) == 2
    assert len(table(files, "referrals.csv")) == 2
    assert len(table(files, "pairings.csv")) == 2
    # Never consented, withdrawn, other scopes only: none of their records in any file.
    assert result.export.counts == {
        "participants.csv": 2,
        "referrals.csv": 2,
        "pairings.csv": 2,
        "sessions.csv": 8,
        "review_scores.csv": 8,
        "goals.csv": 2,
        "follow_ups.csv": 2,
        "courses.csv": 2,
        "provider_visits.csv": 0,
        "rehab_courses.csv": 0,
    }


def test_a_consent_withdrawn_today_no_longer_counts_but_one_given_today_does(cast, world):
    from tests.research.conftest import consent

    consent(world.never.referral, given=0)
    first = world.included[0].referral.consents.get(scope="research")
    first.withdrawn_on = timezone.localdate()
    first.save()
    files = unpack(export(cast.admin_a, [cast.programme_a]).content)
    assert len(table(files, "participants.csv")) == 2  # one out, one in


def test_referrals_outside_the_period_or_the_programmes_are_left_out(cast, world, contact):
    other_programme = type(cast.programme_a).objects.create(
        municipality=cast.a, kind="frisklivsresept", name="Frisklivsresept"
    )
    from tests.research.conftest import consent

    elsewhere = full_history(other_programme, contact, index=6, research=False)
    consent(elsewhere.referral)
    files = unpack(export(cast.admin_a, [cast.programme_a], period_start=days_ago(245)).content)
    assert len(table(files, "participants.csv")) == 2
    with pytest.raises(ValidationError) as caught:
        export(cast.admin_a, [cast.programme_a], period_end=days_ago(241))
    assert "programmes" in caught.value.message_dict
    both = unpack(export(cast.admin_a, [cast.programme_a, other_programme]).content)
    kinds = {r["programme"]: r["programme_kind"] for r in table(both, "referrals.csv")}
    assert kinds == {"P1": cast.programme_a.kind, "P2": "frisklivsresept"}
    assert "P2: frisklivsresept" in both["README.txt"]


def test_nothing_identifying_or_free_text_appears_anywhere_in_the_archive(cast, world):
    cast.programme_a.name = "Aby Hjertetrim"
    cast.programme_a.save()
    content = export(cast.admin_a, [cast.programme_a]).content
    files = unpack(content)
    text = "\n".join(files.values())
    # Pseudonyms are hex: strip them so a digit run inside one cannot look like a postcode.
    stripped = PSEUDONYM.sub("#", text)
    participants = [p.participant for p in world.included]
    forbidden = [
        *SECRETS.values(),
        POSTCODE,
        BIRTH_DATE.isoformat(),
        f"{BIRTH_DATE:%d.%m.%Y}",
        f"{BIRTH_DATE:%d%m%y}",
        "Hemmelig treningssenter",
        "Doktor Hemmeligsen",
        "deprimert",
        world.contact.first_name,
        world.contact.last_name,
        cast.programme_a.name,
        *(p.national_id for p in participants),
    ]
    for value in forbidden:
        assert value.lower() not in stripped.lower(), value
        assert value.encode() not in content, value
    # No column beyond those in the dictionary, and no date other than the referral month.
    assert not re.search(r"\d{4}-\d{2}-\d{2}", "\n".join(files[n] for n in DATA_FILES))


def test_values_are_minimised_to_year_month_and_days_since_referral(cast, world):
    # Exact birth year and referral month (the bands are tested in test_safeguard.py).
    files = unpack(export(cast.admin_a, [cast.programme_a], birth_year_bands=False).content)
    (person, *_rest) = table(files, "participants.csv")
    assert person["birth_year"] == str(BIRTH_DATE.year)
    assert person["gender"] == "female"
    referral = world.included[0].referral
    received = timezone.localdate(referral.received_at)
    months = {r["referral_month"] for r in table(files, "referrals.csv")}
    assert months == {f"{received:%Y-%m}"}
    rows = table(files, "pairings.csv")
    assert {(r["confirmed_day"], r["start_day"], r["end_day"]) for r in rows} == {
        ("40", "50", "140")
    }
    assert {(r["end_reason"], r["handover_destination"]) for r in rows} == {("goal_reached", "gym")}
    assert {r["first_decision_day"] for r in table(files, "referrals.csv")} == {"5"}
    sessions = table(files, "sessions.csv")
    assert sorted({r["day"] for r in sessions}) == ["60", "67", "74", "81"]
    assert {r["status"] for r in sessions} == {"held", "no_show"}
    scores = table(files, "review_scores.csv")
    assert {(r["review_kind"], r["instrument_code"], r["value"]) for r in scores} >= {
        ("start", "activity_minutes", "60.00"),
        ("end", "activity_minutes", "150.00"),
        ("end", "goal_attainment", "1.00"),
    }
    assert {r["status"] for r in table(files, "goals.csv")} == {"open"}
    follow = table(files, "follow_ups.csv")
    assert {
        (r["months"], r["answered"], r["still_active"], r["minutes_per_week"]) for r in follow
    } == {("3", "true", "true", "120")}


def test_pseudonyms_are_consistent_across_the_files_of_one_export(cast, world):
    files = unpack(export(cast.admin_a, [cast.programme_a]).content)
    people = {r["participant_id"] for r in table(files, "participants.csv")}
    referrals = {r["referral_id"] for r in table(files, "referrals.csv")}
    pairings = {r["pairing_id"] for r in table(files, "pairings.csv")}
    goals = {r["goal_id"] for r in table(files, "goals.csv")}
    assert len(people) == 2 and len(referrals) == 2 and len(pairings) == 2
    assert {r["participant_id"] for r in table(files, "referrals.csv")} == people
    assert {r["participant_id"] for r in table(files, "pairings.csv")} == people
    assert {r["referral_id"] for r in table(files, "pairings.csv")} == referrals
    for name in ("sessions.csv", "review_scores.csv", "goals.csv", "follow_ups.csv"):
        assert {r["pairing_id"] for r in table(files, name)} == pairings, name
    scored = {r["goal_id"] for r in table(files, "review_scores.csv") if r["goal_id"]}
    assert scored == goals
    # One contact paired with both: the same helper pseudonym twice.
    assert len({r["helper_id"] for r in table(files, "pairings.csv")}) == 1
    # A pairing and a person never share a pseudonym even if their database ids are equal.
    assert not people & pairings


def test_two_exports_of_the_same_data_share_no_pseudonym(cast, world):
    first = unpack(export(cast.admin_a, [cast.programme_a]).content)
    second = unpack(export(cast.admin_a, [cast.programme_a]).content)
    a, b = pseudonyms(first), pseudonyms(second)
    assert len(a) >= 10 and len(b) == len(a)
    assert not a & b
    # Same data otherwise.
    assert len(table(first, "sessions.csv")) == len(table(second, "sessions.csv"))


def test_the_pseudonym_is_an_hmac_under_a_fresh_key_that_is_never_stored(cast, world, monkeypatch):
    key = bytes(range(32))
    calls = []

    def token_bytes(n):
        calls.append(n)
        return key

    monkeypatch.setattr("kobling.research.services.secrets.token_bytes", token_bytes)
    result = export(cast.admin_a, [cast.programme_a])
    assert calls == [32]
    participant = world.included[0].participant
    expected = hmac.new(key, f"participant:{participant.pk}".encode(), hashlib.sha256)
    people = {r["participant_id"] for r in table(unpack(result.content), "participants.csv")}
    assert expected.hexdigest()[:16] in people
    # The key is nowhere in the database: not on the export, not in the audit log.
    stored = json.dumps(
        [list(ResearchExport.objects.values()), list(AuditEntry.objects.values())], default=str
    )
    assert key.hex() not in stored and repr(key) not in stored
    assert "key hidden" in repr(dataset.Pseudonymiser(key))


def test_the_data_dictionary_covers_every_column_of_every_file(cast, world):
    files = unpack(export(cast.admin_a, [cast.programme_a]).content)
    described = {(r["file"], r["column"]) for r in table(files, "data_dictionary.csv")}
    present = set()
    for name in DATA_FILES:
        header = next(csv.reader(io.StringIO(files[name])))
        present |= {(name, column) for column in header}
    assert present == described
    for row in table(files, "data_dictionary.csv"):
        assert row["type"] and row["description"], row


def test_the_readme_names_the_export_the_approval_and_the_counts(cast, world):
    result = export(cast.admin_a, [cast.programme_a])
    readme = unpack(result.content)["README.txt"]
    assert f"export {result.export.pk}" in readme
    assert "REK 2026/12345" in readme and "Treningskontakt og livskvalitet" in readme
    assert "participants.csv: 2" in readme and "sessions.csv: 8" in readme
    assert "HMAC-SHA256" in readme


def test_the_record_holds_the_archives_checksum_and_no_data(cast, world):
    result = export(cast.admin_a, [cast.programme_a])
    record = ResearchExport.objects.get()
    assert record.sha256 == hashlib.sha256(result.content).hexdigest()
    assert record.counts["participants.csv"] == 2
    assert list(record.programmes.all()) == [cast.programme_a]
    assert record.created_by == cast.admin_a


def test_the_export_is_audited_with_its_programmes_and_counts_but_no_pseudonym(cast, world):
    result = export(cast.admin_a, [cast.programme_a])
    entry = AuditEntry.objects.get(action="export")
    assert entry.user == cast.admin_a
    assert entry.object_type == "research.researchexport"
    assert entry.object_id == str(result.export.pk)
    assert entry.municipality_id == cast.a.pk
    assert entry.changes["export"] == result.export.pk
    assert entry.changes["programmes"] == [cast.programme_a.pk]
    assert ["participants.csv", 2] in entry.changes["counts"]
    logged = json.dumps(entry.changes)
    assert not pseudonyms(unpack(result.content)) & set(PSEUDONYM.findall(logged))
    assert not any(p in logged for p in pseudonyms(unpack(result.content)))


def test_no_consenting_participants_is_refused_and_nothing_is_recorded(cast, contact):
    full_history(cast.programme_a, contact, index=1, research=False)
    with pytest.raises(ValidationError) as caught:
        export(cast.admin_a, [cast.programme_a])
    assert "consent" in caught.value.message_dict["programmes"][0]
    assert not ResearchExport.objects.exists()
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_title", "  "),
        ("approval_reference", ""),
        ("recipient_name", ""),
        ("recipient_institution", ""),
        ("purpose", " "),
        ("programmes", []),
    ],
)
def test_every_field_is_required(cast, world, field, value):
    values = {"programmes": [cast.programme_a], field: value}
    with pytest.raises(ValidationError) as caught:
        export(cast.admin_a, **values)
    assert field in caught.value.message_dict
    assert not ResearchExport.objects.exists()


def test_the_period_must_not_end_before_it_starts(cast, world):
    with pytest.raises(ValidationError) as caught:
        export(cast.admin_a, [cast.programme_a], period_start=days_ago(1), period_end=days_ago(2))
    assert "period_end" in caught.value.message_dict


def test_only_the_municipalitys_administrators_may_export(cast, world):
    from django.core.exceptions import PermissionDenied

    for user in (cast.coordinator_a, cast.coordinator_b, cast.analyst):
        with pytest.raises(PermissionDenied):
            export(user, [cast.programme_a])
    with pytest.raises(ValidationError):  # programmes of two municipalities
        export(cast.admin_a, [cast.programme_a, cast.programme_b])
    assert not ResearchExport.objects.exists()


def test_text_cells_are_made_safe_for_spreadsheets():
    content = dataset._csv(
        "goals.csv", [{"pairing_id": "=HYPERLINK(1)", "goal_id": "@x", "status": "open"}]
    ).decode()
    assert "'=HYPERLINK(1)" in content and "'@x" in content
    with pytest.raises(ValueError):
        dataset._csv("goals.csv", [{"pairing_id": "a", "goal_id": "b", "status": "c", "text": "x"}])


def test_the_number_of_queries_does_not_grow_with_the_participants(cast, contact):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export(cast.admin_a, [cast.programme_a])
        return len(ctx.captured_queries)

    full_history(cast.programme_a, contact, index=1)
    queries()  # the first call also loads the user's roles (cached on the user)
    few = queries()
    for i in range(2, 6):
        full_history(cast.programme_a, contact, index=i)
    assert queries() == few
