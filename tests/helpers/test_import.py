"""Importing existing contacts from CSV and XLSX: all or nothing, with every problem reported
by row and column."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kobling.courses.models import Qualification
from kobling.helpers import io as helper_io
from kobling.helpers.choices import HelperStatus
from kobling.helpers.io import helpers_import
from kobling.helpers.models import Helper, HelperStatusChange
from kobling.helpers.selectors import helper_list_queryset
from kobling.tenancy.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,email,phone,postcode,home_area,birth_year,gender,languages,activities,target_groups,capacity,hourly_rate,covers_equipment,contract_start"
VALID_NATIONAL_ID = "01019010046"  # a syntactically valid fødselsnummer (born 01.01.1990)


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def good_line(n: int, **over: str) -> str:
    values = {
        "first_name": f"Kari{n}",
        "last_name": "Nordmann",
        "email": f"kari{n}@example.test",
        "phone": "+47 912 34 567",
        "postcode": "6800",
        "home_area": "Sentrum",
        "birth_year": "1985",
        "gender": "female",
        "languages": "nb|en",
        "activities": "walking|swimming",
        "target_groups": "mental_health",
        "capacity": "2",
        "hourly_rate": "175,50",
        "covers_equipment": "ja",
        "contract_start": "01.02.2024",
    }
    values.update(over)
    return ",".join(f'"{v}"' if "," in v else v for v in values.values())


def run_import(programme, content: bytes, *, by=None, filename="kontakter.csv", dry_run=False):
    return helpers_import(
        by=by, programme=programme, filename=filename, content=content, dry_run=dry_run
    )


def errors_of(report) -> set[tuple[int, str]]:
    return {(e.row, e.field) for e in report.errors}


def test_a_valid_csv_imports_every_row_as_an_applicant_with_history_and_audit(cast):
    before = Helper.objects.count()
    report = run_import(
        cast.programme_a,
        csv_bytes(HEADER, good_line(1), good_line(2), good_line(3)),
        by=cast.coordinator_a,
    )
    assert report.ok, report.errors
    assert report.created == 3 and not report.dry_run
    assert Helper.objects.count() == before + 3
    kari = Helper.objects.get(email="kari1@example.test")
    assert kari.programme == cast.programme_a and kari.municipality == cast.a
    assert kari.status == HelperStatus.APPLICANT and kari.source == "import"
    assert kari.phone == "+47 912 34 567"
    assert str(kari.hourly_rate) == "175.50"
    assert kari.covers_equipment is True
    assert kari.contract_start == dt.date(2024, 2, 1)
    assert kari.languages == ["nb", "en"]
    assert sorted(a.code for a in kari.activities.all()) == ["swimming", "walking"]
    assert [t.code for t in kari.target_groups.all()] == ["mental_health"]
    history = HelperStatusChange.objects.get(helper=kari)
    assert history.to_status == HelperStatus.APPLICANT and history.reason == "import"
    assert history.by == cast.coordinator_a
    assert AuditEntry.objects.filter(object_id=str(kari.pk), action="create").count() == 1
    assert AuditEntry.objects.filter(object_type="helpers.import").count() == 1


def test_an_xlsx_workbook_imports_with_native_numbers_and_dates(cast):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Fornavn",
            "Etternavn",
            "E-post",
            "Postnummer",
            "Fødselsår",
            "Kontrakt fra",
            "Timesats",
            "Kjønn",
        ]
    )
    sheet.append(
        ["Ola", "Olsen", "ola@example.test", 150, 1979, dt.datetime(2024, 3, 1), 180.5, "Mann"]
    )
    sheet.append(["Eva", "Evensen", "eva@example.test", "6800", 1990.0, None, 200, "kvinne"])
    sheet.append([None, None, None, None])  # trailing blank rows are ignored
    out = io.BytesIO()
    workbook.save(out)
    report = run_import(cast.programme_a, out.getvalue(), by=cast.coordinator_a, filename="k.xlsx")
    assert report.ok, report.errors
    assert report.created == 2
    ola = Helper.objects.get(email="ola@example.test")
    assert ola.postcode == "0150"  # Excel dropped the leading zero; the import puts it back
    assert ola.birth_year == 1979 and ola.gender == "male"
    assert ola.contract_start == dt.date(2024, 3, 1)
    assert str(ola.hourly_rate) == "180.50"
    assert Helper.objects.get(email="eva@example.test").gender == "female"


def test_one_bad_row_among_many_saves_nothing_and_the_report_names_every_bad_row(cast):
    before = Helper.objects.count()
    lines = [HEADER + ",national_id"]
    lines += [good_line(n) + "," for n in range(1, 5)]  # rows 2-5 are fine
    lines += [
        good_line(6, postcode="12a4") + ",",  # row 6
        good_line(7, email="not-an-email") + ",",  # row 7
        good_line(8, activities="walking|moonwalking") + ",",  # row 8
        good_line(9, email="kari2@example.test") + ",",  # row 9: same as row 3
        good_line(10, email=cast.helper_a2.email.upper()) + ",",  # row 10: already registered
        good_line(11) + ",12345678901",  # row 11: bad national id
        good_line(12, capacity="-1") + ",",  # row 12
        good_line(13) + "," + VALID_NATIONAL_ID,  # row 13: fine, with a valid national id
    ]
    report = run_import(cast.programme_a, csv_bytes(*lines), by=cast.coordinator_a)
    assert not report.ok
    assert Helper.objects.count() == before
    assert errors_of(report) == {
        (6, "postcode"),
        (7, "email"),
        (8, "activities"),
        (9, "email"),
        (10, "email"),
        (11, "national_id"),
        (12, "capacity"),
    }
    messages = {(e.row, e.field): e.message for e in report.errors}
    assert "moonwalking" in messages[(8, "activities")]
    assert "row 3" in messages[(9, "email")]
    assert "already registered" in messages[(10, "email")]
    assert "four digits" in messages[(6, "postcode")]


def test_dry_run_checks_everything_and_saves_nothing(cast):
    before = Helper.objects.count()
    report = run_import(
        cast.programme_a, csv_bytes(HEADER, good_line(1), good_line(2)), dry_run=True
    )
    assert report.ok and report.dry_run and report.created == 2
    assert Helper.objects.count() == before
    assert not AuditEntry.objects.filter(object_type="helpers.import").exists()


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_norwegian_excel_csv_with_semicolons_and_norwegian_headers_is_understood(cast, encoding):
    content = csv_bytes(
        "Fornavn;Etternavn;E-post;Telefon;Postnummer;Område;Fødselsår;Kjønn;Språk;Aktiviteter;Målgrupper;Kapasitet;Timesats;Status;Utstyr dekkes",
        "Åse;Ødegård;ase@example.test;'+4791234567;0150;Grünerløkka;1970;Kvinne;norsk|engelsk;Gåtur|Svømming;Psykisk helse;3;175,50;Søker;Nei",
        'Bjørn;Æsøy;BJORN@example.test;;800;Tøyen;1988;mann;nb;"walking;hiking";;1;1 250,00;applicant;ja',
        encoding=encoding,
    )
    report = run_import(cast.programme_a, content, by=cast.coordinator_a)
    assert report.ok, report.errors
    ase = Helper.objects.get(email="ase@example.test")
    assert (ase.first_name, ase.last_name, ase.home_area) == ("Åse", "Ødegård", "Grünerløkka")
    assert ase.phone == "+4791234567"  # the export's formula guard is undone
    assert ase.gender == "female" and ase.languages == ["nb", "en"]
    assert sorted(a.code for a in ase.activities.all()) == ["swimming", "walking"]
    assert [t.code for t in ase.target_groups.all()] == ["mental_health"]
    assert ase.capacity == 3 and str(ase.hourly_rate) == "175.50" and not ase.covers_equipment
    bjorn = Helper.objects.get(email="bjorn@example.test")
    assert bjorn.postcode == "0800" and str(bjorn.hourly_rate) == "1250.00"
    assert sorted(a.code for a in bjorn.activities.all()) == ["hiking", "walking"]


def test_unknown_and_missing_columns_are_refused_before_any_row_is_read(cast):
    report = run_import(
        cast.programme_a, csv_bytes("fornavn,email,shoe_size", "Kari,k@example.test,38")
    )
    assert not report.ok
    assert errors_of(report) == {(1, "shoe_size"), (1, "last_name"), (1, "postcode")}


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "k.csv", "empty"),
        (b"   \r\n", "k.csv", "empty"),
        (csv_bytes(HEADER), "k.csv", "no contacts"),
        (b"\xd0\xcf\x11\xe0 old excel", "k.xls", ".xls"),
        (b"not a zip", "k.xlsx", "Excel workbook"),
    ],
)
def test_files_that_cannot_be_imported_get_a_clear_message(cast, content, filename, expected):
    report = run_import(cast.programme_a, content, filename=filename)
    assert not report.ok
    assert len(report.errors) == 1 and expected in report.errors[0].message


def test_a_file_over_the_size_or_row_limit_is_refused(cast, monkeypatch):
    big = csv_bytes(HEADER, good_line(1)) + b" " * (5 * 1024 * 1024)
    report = run_import(cast.programme_a, big)
    assert not report.ok and "5 MB" in report.errors[0].message
    monkeypatch.setattr(helper_io, "MAX_IMPORT_ROWS", 2)
    report = run_import(
        cast.programme_a, csv_bytes(HEADER, good_line(1), good_line(2), good_line(3))
    )
    assert not report.ok and "more than 2 rows" in report.errors[0].message
    assert not Helper.objects.filter(email__startswith="kari").exists()


# --- lifecycle -------------------------------------------------------------------------------

LIFECYCLE_HEADER = "first_name;last_name;email;postcode;status;qualified_on;police_certificate_date;police_certificate_expires;paused_until"


def _days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def test_an_active_contact_without_the_date_of_prior_training_is_refused(cast):
    content = csv_bytes(
        LIFECYCLE_HEADER,
        f"Aktiv;Uten;aktiv@example.test;6800;active;;{_days(-30)};{_days(900)};",
    )
    report = run_import(cast.programme_a, content, by=cast.coordinator_a)
    assert not report.ok
    assert (2, "qualified_on") in errors_of(report)
    assert not Helper.objects.filter(email="aktiv@example.test").exists()


def test_an_active_contact_without_a_police_certificate_is_refused(cast):
    content = csv_bytes(
        LIFECYCLE_HEADER, f"Aktiv;Uten;aktiv@example.test;6800;aktiv;{_days(-400)};;;"
    )
    report = run_import(cast.programme_a, content)
    assert not report.ok
    assert errors_of(report) == {(2, "police_certificate_date")}
    assert "police certificate" in report.errors[0].message


def test_an_active_contact_with_prior_training_and_police_certificate_comes_in_active(cast):
    content = csv_bytes(
        LIFECYCLE_HEADER,
        f"Aktiv;Med;aktiv@example.test;6800;active;{_days(-400)};{_days(-30)};{_days(900)};",
        f"Pause;Med;pause@example.test;6800;I pause;{_days(-400)};{_days(-30)};{_days(900)};{_days(40)}",
        "Kurs;Snart;kurs@example.test;6800;in_training;;;;",
    )
    report = run_import(cast.programme_a, content, by=cast.coordinator_a)
    assert report.ok, report.errors
    active = Helper.objects.get(email="aktiv@example.test")
    assert active.status == HelperStatus.ACTIVE and active.is_available_for_matching
    qualification = Qualification.objects.get(helper=active)
    assert qualification.template.code == "tidligere-opplaering"
    assert qualification.template.provider is None and qualification.template.qualifies
    assert qualification.qualified_on == timezone.localdate() - dt.timedelta(days=400)
    assert qualification.programme == cast.programme_a and qualification.enrolment is None
    steps = list(
        HelperStatusChange.objects.filter(helper=active)
        .order_by("at", "id")
        .values_list("from_status", "to_status", "reason")
    )
    assert steps == [("", "applicant", "import"), ("applicant", "active", "import")]
    paused = Helper.objects.get(email="pause@example.test")
    assert paused.status == HelperStatus.PAUSED
    assert paused.paused_until == timezone.localdate() + dt.timedelta(days=40)
    assert Helper.objects.get(email="kurs@example.test").status == HelperStatus.IN_TRAINING
    # One shared template for every imported qualification.
    assert Qualification.objects.filter(template__code="tidligere-opplaering").count() == 2


def test_a_programme_without_requirements_accepts_active_contacts_as_they_are(cast):
    cast.programme_a.requires_qualification = False
    cast.programme_a.requires_police_certificate = False
    cast.programme_a.save()
    content = csv_bytes(LIFECYCLE_HEADER, "Aktiv;Fri;fri@example.test;6800;active;;;;")
    report = run_import(cast.programme_a, content)
    assert report.ok, report.errors
    assert Helper.objects.get(email="fri@example.test").status == HelperStatus.ACTIVE


def test_contacts_who_have_left_or_have_a_bad_pause_date_are_refused(cast):
    content = csv_bytes(
        LIFECYCLE_HEADER,
        "Borte;Vekk;borte@example.test;6800;left;;;;",
        f"Pause;Uten;pause@example.test;6800;paused;{_days(-400)};{_days(-30)};{_days(900)};",
        "Rar;Status;rar@example.test;6800;sleeping;;;;",
    )
    report = run_import(cast.programme_a, content)
    assert errors_of(report) == {(2, "status"), (3, "paused_until"), (4, "status")}


def test_an_export_can_be_imported_again_into_another_programme(cast):
    f.make_active(cast.helper_a2)
    cast.helper_a2.activities.set([])
    other = f.ProgrammeFactory(municipality=cast.a, name="Treningskontakt ungdom")
    content, _type, _name = helper_io.helpers_export(
        helper_list_queryset(Helper.objects.filter(programme=cast.programme_a)), "csv"
    )
    report = run_import(other, content, by=cast.coordinator_a)
    # An active contact needs the date of their prior training and of the police certificate,
    # which the export does not carry: the lifecycle rules hold for re-imports too.
    assert not report.ok
    assert {(e.row, e.field) for e in report.errors} == {
        (3, "qualified_on"),
        (3, "police_certificate_date"),
    }
    cast.helper_a2.status = HelperStatus.APPLICANT
    cast.helper_a2.save()
    content, _type, _name = helper_io.helpers_export(
        helper_list_queryset(Helper.objects.filter(programme=cast.programme_a)), "xlsx"
    )
    report = run_import(other, content, by=cast.coordinator_a, filename="eksport.xlsx")
    assert report.ok, report.errors
    assert set(Helper.objects.filter(programme=other).values_list("email", flat=True)) == {
        cast.helper_a.email,
        cast.helper_a2.email,
    }


# --- through the API and the page -------------------------------------------------------------


def _upload(content: bytes, name: str = "kontakter.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_api_import_answers_200_with_the_report(cast, api):
    response = api(cast.coordinator_a).post(
        "/api/v1/helpers/import/",
        {
            "programme": cast.programme_a.pk,
            "file": _upload(csv_bytes(HEADER, good_line(1))),
            "dry_run": "false",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "created": 1, "dry_run": False, "errors": []}
    assert Helper.objects.filter(email="kari1@example.test", programme=cast.programme_a).exists()


def test_api_import_answers_400_with_every_row_error(cast, api):
    response = api(cast.coordinator_a).post(
        "/api/v1/helpers/import/",
        {
            "programme": cast.programme_a.pk,
            "file": _upload(csv_bytes(HEADER, good_line(1), good_line(2, postcode="x"))),
        },
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["created"] == 0
    assert body["errors"] == [
        {"row": 3, "field": "postcode", "message": body["errors"][0]["message"]}
    ]
    assert not Helper.objects.filter(email__startswith="kari").exists()


def test_api_dry_run_saves_nothing(cast, api):
    response = api(cast.admin_a).post(
        "/api/v1/helpers/import/",
        {
            "programme": cast.programme_a.pk,
            "file": _upload(csv_bytes(HEADER, good_line(1))),
            "dry_run": "true",
        },
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["created"] == 1
    assert not Helper.objects.filter(email="kari1@example.test").exists()


def test_coordinator_of_another_municipality_cannot_import_into_a_programme_of_a(cast, api):
    response = api(cast.coordinator_b).post(
        "/api/v1/helpers/import/",
        {"programme": cast.programme_a.pk, "file": _upload(csv_bytes(HEADER, good_line(1)))},
        format="multipart",
    )
    assert response.status_code == 400 and "programme" in response.json()
    assert not Helper.objects.filter(email="kari1@example.test").exists()


@pytest.mark.parametrize("role", ["referrer_a", "contact_a", "analyst", "provider"])
def test_people_who_do_not_manage_the_register_cannot_import(cast, api, role):
    response = api(cast.roles[role]).post(
        "/api/v1/helpers/import/",
        {"programme": cast.programme_a.pk, "file": _upload(csv_bytes(HEADER, good_line(1)))},
        format="multipart",
    )
    assert response.status_code == 403
    assert not Helper.objects.filter(email="kari1@example.test").exists()


def test_the_import_service_refuses_a_programme_the_user_does_not_manage(cast):
    report = run_import(cast.programme_a, csv_bytes(HEADER, good_line(1)), by=cast.coordinator_b)
    assert not report.ok and errors_of(report) == {(0, "programme")}


def test_coordinator_imports_through_the_page(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    assert client.get("/kontakter/import/").status_code == 200
    response = client.post(
        "/kontakter/import/",
        {
            "programme": cast.programme_a.pk,
            "file": _upload(csv_bytes(HEADER, good_line(1), good_line(2))),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/kontakter/"
    assert (
        Helper.objects.filter(email__in=["kari1@example.test", "kari2@example.test"]).count() == 2
    )


def test_the_page_lists_every_problem_and_saves_nothing(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    response = client.post(
        "/kontakter/import/",
        {
            "programme": cast.programme_a.pk,
            "file": _upload(csv_bytes(HEADER, good_line(1), good_line(2, email="nope"))),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<td>3</td><td>email</td>" in html
    assert not Helper.objects.filter(email="kari1@example.test").exists()


def test_the_page_reports_a_clean_dry_run(cast):
    client = Client()
    client.force_login(cast.coordinator_a)
    response = client.post(
        "/kontakter/import/",
        {
            "programme": cast.programme_a.pk,
            "file": _upload(csv_bytes(HEADER, good_line(1))),
            "dry_run": "on",
        },
    )
    assert response.status_code == 200
    assert "1 row is valid" in response.content.decode()
    assert not Helper.objects.filter(email="kari1@example.test").exists()


@pytest.mark.parametrize(
    ("rate", "start", "expected_rate"),
    [
        ("1.250,50", "1.3.2024", "1250.50"),
        ("1,250.50", "2024-03-01 00:00:00", "1250.50"),
        ("175", "01.03.2024", "175.00"),
    ],
)
def test_numbers_and_dates_are_read_in_norwegian_and_international_forms(
    cast, rate, start, expected_rate
):
    content = csv_bytes(
        "first_name;last_name;email;postcode;hourly_rate;contract_start",
        f"Tall;Dato;tall@example.test;6800;{rate};{start}",
    )
    report = run_import(cast.programme_a, content)
    assert report.ok, report.errors
    helper = Helper.objects.get(email="tall@example.test")
    assert str(helper.hourly_rate) == expected_rate
    assert helper.contract_start == dt.date(2024, 3, 1)


def test_a_column_twice_or_a_value_under_a_nameless_column_is_reported(cast):
    report = run_import(cast.programme_a, csv_bytes("fornavn,first_name,last_name,email,postcode"))
    assert errors_of(report) == {(1, "first_name")}
    report = run_import(
        cast.programme_a,
        csv_bytes("first_name,last_name,email,postcode,", "A,B,ab@example.test,6800,surprise"),
    )
    assert errors_of(report) == {(2, "column 5")}
