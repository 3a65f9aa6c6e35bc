"""The organisation's side: the public page e-mails a sign-in link (through the outbox, to the
real local SMTP server), the link signs the contact person in without a password, drafts are
kept, the deadline refuses with a clear message, and an organisation sees only its own
applications, attachments, letters and reports — another organisation's or another
municipality's are 404. One application goes through the public form in a real headless
Chromium."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.grants import services
from kobling.grants.models import Application, GrantReport, OrganisationContact
from kobling.partners.models import Partner
from tests.conftest import without_tokens
from tests.grants import builders as b

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _no_time_trap(settings):
    settings.KOBLING_SIGNUP_MIN_SECONDS = 0


def path_of(link: str) -> str:
    return urlsplit(link).path


def ask_for_link(client: Client, code: str, **data: str):  # noqa: ANN201
    page = client.get(reverse("web:grant_public", args=[code]))
    issued = page.context["form"]["issued"].value()
    return client.post(
        reverse("web:grant_public", args=[code]),
        {
            "organisation_number": data.get("orgnr", b.ORGNR),
            "organisation_name": data.get("org", "Aby Turlag"),
            "name": data.get("name", "Kari Nordmann"),
            "email": data.get("email", "kari@turlag.test"),
            "issued": issued,
            "website": "",
        },
    )


def sign_in(client: Client, smtp_server, email: str) -> None:  # noqa: ANN001
    mail = smtp_server.wait_for(1) and smtp_server.to(email)[-1]
    link = path_of(mail.links()[0])
    assert client.get(link).status_code == 200
    done = client.post(link)
    assert done.status_code == 302 and done["Location"] == reverse("web:grant_org_home")


@pytest.mark.django_db
@pytest.mark.smtp
def test_the_contact_signs_in_by_the_e_mailed_link_once(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    b.open_round(b.scheme(cast.a, cast.coordinator_a), cast.coordinator_a)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(client, cast.a.code)
    assert response.status_code == 200 and "e-mailed you a link" in response.content.decode()
    assert not Partner.objects.exists()  # not before the address is shown to be read
    mail = smtp_server.wait_for(1)[0]
    assert mail.rcpt_tos == ["kari@turlag.test"] and "Aby" in mail.subject
    link = path_of(mail.links()[0])
    # Opening the link (as a mail scanner would) does not use it.
    assert client.get(link).status_code == 200
    assert client.get(reverse("web:grant_org_home")).status_code == 403
    assert client.post(link).status_code == 302
    home = client.get(reverse("web:grant_org_home"))
    assert home.status_code == 200 and "Aby Turlag" in home.content.decode()
    partner = Partner.objects.get()
    assert partner.organisation_number == b.ORGNR and partner.municipality_id == cast.a.pk
    assert Client().post(link).status_code == 410  # once only


@pytest.mark.django_db
def test_a_wrong_organisation_number_is_refused_in_the_users_language(cast):
    client = Client()
    response = ask_for_link(client, cast.a.code, orgnr="123456789")
    assert response.status_code == 200
    assert "Not a valid organisation number" in response.content.decode()
    assert not OrganisationContact.objects.exists()
    client.cookies["django_language"] = "nb"
    norsk = ask_for_link(client, cast.a.code, orgnr="123456789")
    assert "organisasjonsnummer" in norsk.content.decode().lower()


@pytest.fixture
def signed_in_org():
    """A client signed in as the contact of Aby Turlag (through the real link)."""
    return b.org_client


@pytest.mark.django_db
def test_a_draft_is_kept_sent_and_refused_after_the_deadline(cast, signed_in_org):
    grant_round = b.open_round(b.scheme(cast.a, cast.coordinator_a), cast.coordinator_a)
    client, contact = signed_in_org(cast.a)
    started = client.post(
        reverse("web:grant_org_apply", args=[grant_round.pk]), {"title": "Turgruppe"}
    )
    application = Application.objects.get()
    assert started["Location"] == reverse("web:grant_org_application", args=[application.pk])
    url = started["Location"]
    body = {
        "title": "Turgruppe",
        "purpose": "Ukentlige turer",
        "target_groups": "Eldre",
        "prevention_level": "",
        "expected_participants": "15",
        "version": application.version,
        "line_description": ["Leie", ""],
        "line_amount": ["12000", ""],
    }
    assert client.post(url, {**body, "save": "1"}).status_code == 302
    application.refresh_from_db()
    assert application.status == "draft" and application.amount_requested == 12000
    # Sending needs the prevention level: clear message, nothing sent.
    refused = client.post(url, {**body, "version": application.version, "submit": "1"})
    assert refused.status_code == 200 and "Choose the prevention level." in refused.content.decode()
    assert Application.objects.get().status == "draft"
    b.close(grant_round)
    late = client.post(
        url,
        {**body, "prevention_level": "universal", "version": application.version, "submit": "1"},
    )
    assert late.status_code == 200
    assert "The deadline for this round was" in late.content.decode()
    assert Application.objects.get().status == "draft"
    attach = client.post(
        reverse("web:grant_org_attachment_add", args=[application.pk]),
        {"file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")},
        follow=True,
    )
    assert "deadline" in attach.content.decode() and not application.attachments.exists()


@pytest.mark.django_db
def test_an_organisation_sees_only_its_own_applications_letters_and_reports(
    cast, signed_in_org, django_capture_on_commit_callbacks
):
    s = b.scheme(cast.a, cast.coordinator_a)
    grant_round = b.open_round(s, cast.coordinator_a)
    mine_client, mine = signed_in_org(cast.a)
    other_client, other = signed_in_org(
        cast.a, orgnr=b.ORGNR_2, org="Aby Mental Helse", email="mh@a.test"
    )
    # The same organisation number in municipality B is another partner, another organisation.
    b_client, _b_contact = signed_in_org(cast.b, email="kari@turlag.test")
    draft = services.application_create(
        grant_round=grant_round, contact=mine, data={"title": "Min"}
    )
    attachment = services.attachment_add(
        application=draft, contact=mine, upload=SimpleUploadedFile("a.pdf", PDF, "application/pdf")
    )
    application = services.application_save(
        application=draft,
        contact=mine,
        data={"purpose": "Turer", "prevention_level": "universal"},
        lines=[{"description": "Leie", "amount": 5000}],
        expected_version=draft.version,
        submit=True,
    )
    b.close(grant_round)
    decision = services.decision_make(
        application=application,
        by=cast.coordinator_a,
        outcome="granted",
        amount=5000,
        reasons="Ja",
        report_due_on=timezone.localdate() + dt.timedelta(days=60),
        expected_version=application.version,
    )
    urls = [
        reverse("web:grant_org_application", args=[application.pk]),
        reverse("web:grant_org_attachment", args=[application.pk, attachment.pk]),
        reverse("web:grant_org_letter", args=[application.pk, decision.pk]),
        reverse("web:grant_org_letter_pdf", args=[application.pk, decision.pk]),
        reverse("web:grant_org_report", args=[application.pk]),
    ]
    for url in urls:
        assert mine_client.get(url).status_code == 200, url
        assert other_client.get(url).status_code == 404, url
        assert b_client.get(url).status_code == 404, url
        assert Client().get(url).status_code == 403, url
    # Writes too: another organisation cannot send a report on this grant.
    line = application.budget_lines.get()
    forged = other_client.post(
        reverse("web:grant_org_report", args=[application.pk]),
        {"activities": "x", "participants": "3", f"spent_{line.pk}": "1", "submit": "1"},
    )
    assert forged.status_code == 404 and not GrantReport.objects.exists()
    assert "Min" not in without_tokens(
        other_client.get(reverse("web:grant_org_home")).content.decode()
    )
    letter = mine_client.get(urls[2]).content.decode()
    assert "watchdog" in letter and "Ja" in letter


@pytest.mark.django_db
def test_the_report_is_written_by_the_organisation_and_counts_only(cast, signed_in_org):
    s = b.scheme(cast.a, cast.coordinator_a)
    grant_round = b.open_round(s, cast.coordinator_a)
    client, contact = signed_in_org(cast.a)
    application = b.submitted(grant_round, contact)
    b.close(grant_round)
    services.decision_make(
        application=application,
        by=cast.coordinator_a,
        outcome="granted",
        amount=20000,
        reasons="Ja",
        report_due_on=timezone.localdate() + dt.timedelta(days=60),
        expected_version=application.version,
    )
    url = reverse("web:grant_org_report", args=[application.pk])
    lines = list(application.budget_lines.all())
    body = {"activities": "30 turer", "participants": "-2", "deviations": "", "submit": "1"}
    body.update({f"spent_{line.pk}": "10000" for line in lines})
    refused = client.post(url, body)
    assert refused.status_code == 200 and not GrantReport.objects.exists()
    body["participants"] = "22"
    assert client.post(url, body).status_code == 302
    report = GrantReport.objects.get()
    assert (report.status, report.participants) == ("submitted", 22)
    assert sorted(report.lines.values_list("spent", flat=True)) == [10000, 10000]


@pytest.mark.browser
@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_an_organisation_applies_through_the_public_form_in_a_browser(
    live_server, cast, browser, smtp_server, settings
):
    settings.KOBLING_BASE_URL = live_server.url
    grant_round = b.open_round(b.scheme(cast.a, cast.coordinator_a), cast.coordinator_a)
    context = browser.new_context(locale="en")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/tilskudd/kommune/{cast.a.code}/")
    assert grant_round.name in page.locator("main").inner_text()
    page.fill("input[name=organisation_number]", "988 077 917")
    page.fill("input[name=organisation_name]", "Aby Turlag")
    page.fill("input[name=name]", "Kari Nordmann")
    page.fill("input[name=email]", "kari@turlag.test")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert "e-mailed you a link" in page.locator("main").inner_text()

    mail = smtp_server.wait_for(1)[0]
    page.goto(mail.links()[0])
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.wait_for_url("**/tilskudd/organisasjon/")
    page.fill(f"#title-{grant_round.pk}", "Turgruppe for eldre")
    with page.expect_navigation():
        page.locator(f"form[action$='/runder/{grant_round.pk}/sok/'] button").click()
    page.fill("textarea[name=purpose]", "Ukentlige turer med turvenn")
    page.fill("textarea[name=target_groups]", "Eldre som bor alene")
    page.select_option("select[name=prevention_level]", "selective")
    page.fill("input[name=expected_participants]", "20")
    page.fill("#line-d-1", "Leie av buss")
    page.fill("#line-a-1", "15000")
    page.fill("#line-d-2", "Turutstyr")
    page.fill("#line-a-2", "5000")
    with page.expect_navigation():
        page.locator("button[name=submit]").click()
    assert "The application was sent." in page.locator("main").inner_text()
    assert not problems, problems
    context.close()

    application = Application.objects.get()
    assert (
        application.status,
        application.prevention_level,
        application.expected_participants,
    ) == ("submitted", "selective", 20)
    assert application.amount_requested == 20000
    assert application.partner.organisation_number == b.ORGNR
