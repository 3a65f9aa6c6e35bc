"""Every grants endpoint and page × every role of the cast; the organisation's pages are
reached by its sign-in link only (tests/grants/test_portal.py); fixed query counts on lists.

Decisions recorded here:

* Grants belong to the municipality's managers (municipal admins and coordinators, the case
  officers). Referrers, training contacts, course providers and the national analyst: 403.
  Another municipality's coordinator: 404 on A's records, an empty list on the lists.
* The watchdog sentence on the letters is the municipal admins' (coordinators 403).
* A draft is the organisation's until it is sent: officers get 403 on it, the API leaves it out."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.grants import services
from tests.conftest import signed_in
from tests.grants import builders as b

pytestmark = pytest.mark.django_db

ROLES = (
    "admin_a",
    "coordinator_a",
    "referrer_a",
    "contact_a",
    "coordinator_b",
    "analyst",
    "provider",
)


def matrix(*codes: int) -> list[tuple[str, int]]:
    assert len(codes) == len(ROLES)
    return list(zip(ROLES, codes, strict=True))


MANAGERS = matrix(200, 200, 403, 403, 200, 403, 403)
MANAGERS_A = matrix(200, 200, 403, 403, 404, 403, 403)
POSTED_A = matrix(302, 302, 403, 403, 404, 403, 403)

READS = {
    "/api/v1/grant-schemes/": MANAGERS,
    "/api/v1/grant-schemes/{scheme}/": MANAGERS_A,
    "/api/v1/grant-rounds/": MANAGERS,
    "/api/v1/grant-rounds/{round}/": MANAGERS_A,
    "/api/v1/grant-rounds/{round}/ranking/": MANAGERS_A,
    "/api/v1/grant-applications/": MANAGERS,
    "/api/v1/grant-applications/{application}/": MANAGERS_A,
}

# Web URL name → (the ids it takes, method, expected per role).
PAGES = {
    "grant_scheme_list": ((), "get", MANAGERS),
    "grant_scheme_create": ((), "get", MANAGERS),
    "grant_scheme_detail": (("scheme",), "get", MANAGERS_A),
    "grant_scheme_edit": (("scheme",), "get", MANAGERS_A),
    "grant_criterion_add": (("scheme",), "post", POSTED_A),
    "grant_round_create": (("scheme",), "get", MANAGERS_A),
    "grant_overview": (("scheme", "year"), "get", MANAGERS_A),
    "grant_overview_csv": (("scheme", "year"), "get", MANAGERS_A),
    "grant_overview_pdf": (("scheme", "year"), "get", MANAGERS_A),
    "grant_round_detail": (("round",), "get", MANAGERS_A),
    "grant_round_edit": (("round",), "get", MANAGERS_A),
    "grant_application_detail": (("application",), "get", MANAGERS_A),
    "grant_application_score": (("application",), "post", POSTED_A),
    "grant_application_conflict": (("application",), "post", POSTED_A),
    "grant_application_decide": (("application",), "post", POSTED_A),
    "grant_application_agreement": (("application",), "get", MANAGERS_A),
    "grant_application_paid": (("application",), "post", POSTED_A),
    "grant_application_reclaim": (("application",), "post", POSTED_A),
    "grant_report_review": (("application",), "post", POSTED_A),
    "grant_attachment": (("application", "attachment"), "get", MANAGERS_A),
    "grant_letter": (("application", "decision"), "get", MANAGERS_A),
    "grant_letter_pdf": (("application", "decision"), "get", MANAGERS_A),
    "grant_settings": ((), "get", matrix(200, 403, 403, 403, 403, 403, 403)),
}
# Reached without a password account (the public page, the e-mailed link and the pages it
# opens): tests/grants/test_portal.py.
PUBLIC = {
    "grant_public",
    "grant_signin",
    "grant_org_home",
    "grant_org_signout",
    "grant_org_apply",
    "grant_org_application",
    "grant_org_attachment_add",
    "grant_org_attachment",
    "grant_org_letter",
    "grant_org_letter_pdf",
    "grant_org_report",
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def ids(cast):
    s = b.scheme(cast.a, cast.coordinator_a)
    r = b.open_round(s, cast.coordinator_a)
    who = b.contact(cast.a)
    draft = services.application_create(grant_round=r, contact=who, data={"title": "Turgruppe"})
    attachment = services.attachment_add(
        application=draft,
        contact=who,
        upload=SimpleUploadedFile("budsjett.pdf", PDF, "application/pdf"),
    )
    application = b.submitted(r, who, title="Annen")
    draft.refresh_from_db()
    draft = services.application_save(
        application=draft,
        contact=who,
        data={"purpose": "Turer", "prevention_level": "universal"},
        lines=[{"description": "Leie", "amount": 60000}],
        expected_version=draft.version,
        submit=True,
    )
    b.close(r)
    decision = services.decision_make(
        application=draft,
        by=cast.coordinator_a,
        outcome="granted",
        amount=60000,
        reasons="Godt tiltak",
        report_due_on=timezone.localdate() + dt.timedelta(days=90),
        expected_version=draft.version,
    )
    return {
        "scheme": s.pk,
        "round": r.pk,
        "application": draft.pk,
        "other": application.pk,
        "attachment": attachment.pk,
        "decision": decision.pk,
        "year": r.opens_on.year,
    }


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, code) for url, pairs in READS.items() for role, code in pairs],
)
def test_every_grant_read_endpoint_allows_or_denies_each_role(cast, api, ids, url, role, expected):
    response = api(cast.roles[role]).get(url.format(**ids))
    assert response.status_code == expected, (url, role, response.content[:300])
    if expected == 200 and role == "coordinator_b" and "{" not in url:
        body = response.json()
        assert body.get("results", body) == []


def test_anonymous_callers_get_401_on_the_api(cast, api, ids):
    for url in READS:
        assert api().get(url.format(**ids)).status_code == 401, url


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, code) for name, (_a, _m, pairs) in PAGES.items() for role, code in pairs],
)
def test_every_grant_page_allows_or_denies_each_role(cast, ids, name, role, expected):
    args, method, _pairs = PAGES[name]
    url = reverse(f"web:{name}", args=[ids[a] for a in args])
    client = signed_in(cast.roles[role])
    response = client.post(url, {}) if method == "post" else client.get(url)
    assert response.status_code == expected, (name, role)


def test_anonymous_visitors_are_sent_to_sign_in(cast, ids, client):
    for name, (arg_names, _m, _pairs) in PAGES.items():
        response = client.get(reverse(f"web:{name}", args=[ids[a] for a in arg_names]))
        assert response.status_code == 302 and "/konto/logg-inn/" in response["Location"], name


def test_a_draft_is_not_the_officers_to_read(cast, api, ids):
    who = b.contact(cast.a, orgnr=b.ORGNR_2, org="Aby MH", email="mh@a.test")
    s = b.scheme(cast.a, cast.coordinator_a, name="Rullerende", round_kind="rolling")
    r = services.round_create(
        scheme=s,
        by=cast.coordinator_a,
        data={"name": "Løpende", "opens_on": timezone.localdate(), "deadline": None},
    )
    draft = services.application_create(grant_round=r, contact=who, data={"title": "Utkast"})
    assert (
        signed_in(cast.coordinator_a)
        .get(reverse("web:grant_application_detail", args=[draft.pk]))
        .status_code
        == 403
    )
    assert api(cast.coordinator_a).get(f"/api/v1/grant-applications/{draft.pk}/").status_code == 404
    listed = api(cast.coordinator_a).get("/api/v1/grant-applications/").json()["results"]
    assert draft.pk not in [row["id"] for row in listed]


def test_an_officer_with_a_declared_conflict_cannot_score_through_the_api(cast, api, ids):
    url = f"/api/v1/grant-applications/{ids['other']}/"
    criterion = (
        api(cast.coordinator_a)
        .get(f"/api/v1/grant-schemes/{ids['scheme']}/")
        .json()["criteria"][0]["id"]
    )
    # The round is closed, the application undecided: scoring still works.
    ok = api(cast.admin_a).post(url + "score/", {"criterion": criterion, "value": 4}, format="json")
    assert ok.status_code == 200, ok.content
    declared = api(cast.coordinator_a).post(
        url + "conflict/", {"reason": "Leder i laget"}, format="json"
    )
    assert declared.status_code == 201
    refused = api(cast.coordinator_a).post(
        url + "score/", {"criterion": criterion, "value": 5}, format="json"
    )
    assert refused.status_code == 403
    outsider = api(cast.coordinator_b).post(
        url + "score/", {"criterion": criterion, "value": 5}, format="json"
    )
    assert outsider.status_code == 404
    ranking = api(cast.coordinator_a).get(f"/api/v1/grant-rounds/{ids['round']}/ranking/").json()
    row = next(r for r in ranking if r["application"] == ids["other"])
    assert row["scorers"] == 1 and row["conflicts"] == 1


def test_a_decision_through_the_api_needs_the_version_and_tells_the_applicant(cast, api, ids):
    url = f"/api/v1/grant-applications/{ids['other']}/decide/"
    body = {"outcome": "refused", "reasons": "Over budsjett"}
    assert api(cast.coordinator_a).post(url, body, format="json").status_code == 400
    version = (
        api(cast.coordinator_a).get(f"/api/v1/grant-applications/{ids['other']}/").json()["version"]
    )
    stale = api(cast.coordinator_a).post(url, {**body, "version": version - 1}, format="json")
    assert stale.status_code == 409
    done = api(cast.coordinator_a).post(url, {**body, "version": version}, format="json")
    assert done.status_code == 200 and done.json()["decision"]["outcome"] == "refused"
    assert (
        api(cast.referrer_a).post(url, {**body, "version": version}, format="json").status_code
        == 403
    )


def test_the_attachment_is_served_privately_and_only_through_the_scoped_view(cast, ids):
    response = signed_in(cast.coordinator_a).get(
        reverse("web:grant_attachment", args=[ids["application"], ids["attachment"]])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    # The attachment belongs to one application: under another one it does not exist.
    wrong = signed_in(cast.coordinator_a).get(
        reverse("web:grant_attachment", args=[ids["other"], ids["attachment"]])
    )
    assert wrong.status_code == 404


def test_the_yearly_overview_csv_is_formula_safe(cast, ids):
    from kobling.grants.models import Application

    Application.objects.filter(pk=ids["application"]).update(title='=HYPERLINK("x")')
    response = signed_in(cast.coordinator_a).get(
        reverse("web:grant_overview_csv", args=[ids["scheme"], ids["year"]])
    )
    text = response.content.decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert "report_due" in text.splitlines()[0]


# --- fixed query counts ----------------------------------------------------------------------


def _fill(cast, n: int) -> None:
    s = b.scheme(cast.a, cast.coordinator_a, name=f"Ordning {n}")
    r = b.open_round(s, cast.coordinator_a)
    for i in range(n):
        who = b.contact(cast.a, email=f"k{n}-{i}@x.test", name=f"K {i}")
        b.submitted(r, who, title=f"Søknad {i}")


def _count(client, url) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("label", "url", "kind"),
    [
        ("api applications", "/api/v1/grant-applications/?page_size=100", "api"),
        ("api schemes", "/api/v1/grant-schemes/?page_size=100", "api"),
        ("api ranking", "/api/v1/grant-rounds/{round}/ranking/", "api"),
        ("page round", "/tilskudd/runder/{round}/", "web"),
        ("page schemes", "/tilskudd/ordninger/", "web"),
    ],
)
def test_list_query_counts_do_not_grow_with_the_data(cast, api, label, url, kind):
    from kobling.grants.models import GrantRound

    _fill(cast, 2)
    first_round = GrantRound.objects.order_by("pk").first()
    client = api(cast.coordinator_a) if kind == "api" else signed_in(cast.coordinator_a)
    small = _count(client, url.format(round=first_round.pk))
    _fill(cast, 6)
    GrantRound.objects.filter(pk=first_round.pk)  # same round: add more to it
    s = first_round.scheme
    for i in range(5):
        who = b.contact(cast.a, email=f"extra{i}@x.test", name=f"E {i}")
        b.submitted(first_round, who, title=f"Ekstra {i}")
    assert s.pk
    big = _count(client, url.format(round=first_round.pk))
    assert big == small, (label, small, big)


def test_an_upload_is_typed_by_its_bytes_and_size_limited(cast):
    from django.core.exceptions import ValidationError

    from kobling.grants.choices import ATTACHMENT_MAX_BYTES

    s = b.scheme(cast.a, cast.coordinator_a)
    r = b.open_round(s, cast.coordinator_a)
    who = b.contact(cast.a)
    draft = services.application_create(grant_round=r, contact=who, data={"title": "T"})
    for upload, message in (
        (
            SimpleUploadedFile("budsjett.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
            "PDF, JPEG or PNG",
        ),
        (SimpleUploadedFile("tom.pdf", b"", "application/pdf"), "empty"),
        (
            SimpleUploadedFile(
                "stor.pdf", b"%PDF-" + b"0" * ATTACHMENT_MAX_BYTES, "application/pdf"
            ),
            "too big",
        ),
        (
            SimpleUploadedFile("js.pdf", b"%PDF-1.4 /JavaScript (app.alert(1))", "application/pdf"),
            "scripts",
        ),
    ):
        with pytest.raises(ValidationError, match=message):
            services.attachment_add(application=draft, contact=who, upload=upload)
    assert draft.attachments.count() == 0
    png = services.attachment_add(
        application=draft,
        contact=who,
        upload=SimpleUploadedFile(
            "bilde.pdf", b"\x89PNG\r\n\x1a\n" + io.BytesIO(b"x" * 20).read(), "application/pdf"
        ),
    )
    assert png.content_type == "image/png" and png.file.name.endswith(".png")
