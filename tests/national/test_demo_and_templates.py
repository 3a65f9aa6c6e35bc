"""The seeded question sets (editable; the gate keeps its three answers), the units API, and
the national demo: units from the snapshot with the demo towns in place, statuses for many
units, and surveys in every state — without sending any e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kobling.demo.national import load_national_demo
from kobling.national.models import (
    PhoneCall,
    SchemeStatus,
    SurveyQuestion,
    SurveyRecipient,
    SurveyTemplate,
    Unit,
)
from kobling.national.seed import TEMPLATES
from kobling.national.selectors import scheme_status_map

pytestmark = pytest.mark.django_db


def test_the_short_and_extended_sets_are_seeded_with_a_gate_and_an_early_exit():
    short = SurveyTemplate.objects.get(code="short-2016")
    extended = SurveyTemplate.objects.get(code="extended-2016")
    assert short.questions.count() == len(TEMPLATES[0]["questions"]) >= 11
    assert extended.questions.count() >= 30
    gate = short.questions.get(role="gate")
    assert [pair[0] for pair in gate.choices] == ["running", "ended", "never"]
    assert set(short.questions.values_list("kind", flat=True)) == {
        "choice",
        "number",
        "text",
    }
    assert set(extended.questions.values_list("kind", flat=True)) == {
        "choice",
        "number",
        "text",
        "yes_no",
    }
    asked_when_never = [q.code for q in short.questions.all() if q.asked_for("never")]
    assert asked_when_never == ["status"]
    asked_when_ended = {q.code for q in short.questions.all() if q.asked_for("ended")}
    assert asked_when_ended == {"status", "ended_year", "ended_reason", "started_year"}


def test_the_analyst_edits_and_adds_questions_but_cannot_break_the_gate(cast, web):
    client = web(cast.analyst)
    short = SurveyTemplate.objects.get(code="short-2016")
    question = short.questions.get(code="contact_gender")
    form = client.get(f"/nasjonalt/sporsmal/{question.pk}/").context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data["text"] = "Kjønnsbalanse blant kontaktene"
    assert client.post(f"/nasjonalt/sporsmal/{question.pk}/", data).status_code == 302
    question.refresh_from_db()
    assert question.text == "Kjønnsbalanse blant kontaktene"
    assert question.choices[0] == ["women", "Flest kvinner"]

    gate = short.questions.get(role="gate")
    data = {
        k: v
        for k, v in client.get(f"/nasjonalt/sporsmal/{gate.pk}/").context["form"].initial.items()
        if v not in (None, False)
    }
    data["choices"] = "yes = Yes\nno = No"
    response = client.post(f"/nasjonalt/sporsmal/{gate.pk}/", data)
    assert response.status_code == 400
    gate.refresh_from_db()
    assert len(gate.choices) == 3

    new = {
        "order": "500",
        "code": "budget",
        "text": "Budget?",
        "kind": "choice",
        "ask_when": "running",
        "choices": "high",
    }
    assert client.post(f"/nasjonalt/skjema/{short.pk}/sporsmal/", new).status_code == 400
    new["choices"] = "high = High\nlow = Low"
    assert client.post(f"/nasjonalt/skjema/{short.pk}/sporsmal/", new).status_code == 302
    assert SurveyQuestion.objects.get(template=short, code="budget").choices == [
        ["high", "High"],
        ["low", "Low"],
    ]


def test_the_units_api_filters_and_keeps_its_query_count(cast, api):
    def count(n: int) -> int:
        Unit.objects.all().delete()
        for i in range(n):
            Unit.objects.create(
                kind="municipality",
                code=f"{1100 + i}",
                name=f"K{i}",
                county_code="11",
                valid_from=dt.date(2024, 1, 1),
            )
        with CaptureQueriesContext(connection) as ctx:
            assert api(cast.analyst).get("/api/v1/national/units/").status_code == 200
        return len(ctx.captured_queries)

    assert count(2) == count(20)
    Unit.objects.create(
        kind="municipality",
        code="1507",
        name="Ålesund",
        county_code="15",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2024, 1, 1),
    )
    client = api(cast.analyst)
    assert client.get("/api/v1/national/units/?county=15").json()["count"] == 1
    assert client.get("/api/v1/national/units/?county=15&valid_on=2024-06-01").json()["count"] == 0
    assert client.get("/api/v1/national/units/?kind=district").json()["count"] == 0


def test_the_demo_has_units_statuses_and_surveys_in_every_state_without_email(settings):
    today = timezone.localdate()
    counts = load_national_demo(today)
    assert mail.outbox == []
    assert counts["national_units"] == 357 + 15 + 15 + 1  # + Nordby, a demo-only code
    fjordvik = Unit.objects.get(kind="municipality", code="4650")
    assert fjordvik.name == "Fjordvik"
    assert Unit.objects.get(code="5560").name == "Nordby"
    states = set(SchemeStatus.objects.values_list("state", flat=True))
    assert states == {"active", "ended", "never"}
    statuses = set(SurveyRecipient.objects.values_list("status", flat=True))
    assert {"sent", "opened", "answered", "declined", "opted_out", "pending"} <= statuses
    assert SurveyRecipient.objects.filter(reminders_sent__gt=0).exists()
    assert PhoneCall.objects.exists()
    mapped = scheme_status_map(today)
    assert sum(v is True for v in mapped.values()) > 30
    assert sum(v is None for v in mapped.values()) > 100
    # Loading again adds no second set of campaigns.
    again = load_national_demo(today)
    assert "national_campaigns" not in again
    assert SurveyRecipient.objects.count() == counts["national_recipients"]


def test_the_demo_pages_render(cast, web):
    load_national_demo(timezone.localdate())
    client = web(cast.analyst)
    for url in (
        "/nasjonalt/",
        "/nasjonalt/enheter/",
        "/nasjonalt/kartlegginger/",
        "/nasjonalt/skjema/",
    ):
        assert client.get(url).status_code == 200, url
    campaign = SurveyRecipient.objects.filter(status="answered").first().campaign
    page = client.get(f"/nasjonalt/kartlegginger/{campaign.pk}/")
    assert page.status_code == 200 and page.context["counts"]["answered"] == 30


def test_campaign_pages_and_api_keep_their_query_count(cast, web, api):
    from kobling.national import services

    template = SurveyTemplate.objects.get(code="short-2016")
    client = web(cast.analyst)

    def count(n: int) -> list[int]:
        SurveyRecipient.objects.all().delete()
        Unit.objects.all().delete()
        for i in range(n):
            Unit.objects.create(
                kind="municipality",
                code=f"{1100 + i}",
                name=f"K{i}",
                county_code="11",
                valid_from=dt.date(2024, 1, 1),
                email=f"k{i}@example.test",
            )
        campaign = services.campaign_create(template=template, by=None, name=f"C{n}")
        services.campaign_add_units(campaign=campaign, by=None, unit_kinds=["municipality"])
        got = []
        for url in (
            f"/nasjonalt/kartlegginger/{campaign.pk}/",
            "/nasjonalt/kartlegginger/",
            f"/nasjonalt/kartlegginger/{campaign.pk}/svar.csv",
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200, url
            got.append(len(ctx.captured_queries))
        with CaptureQueriesContext(connection) as ctx:
            assert api(cast.analyst).get("/api/v1/national/campaigns/").status_code == 200
        got.append(len(ctx.captured_queries))
        return got

    assert count(2) == count(20)


def test_adding_units_by_county_and_only_those_still_unknown():
    from django.core.exceptions import ValidationError

    from kobling.national import services

    on = dt.date(2025, 6, 1)
    known = Unit.objects.create(
        kind="municipality", code="1101", name="A", county_code="11", valid_from=dt.date(2024, 1, 1)
    )
    Unit.objects.create(
        kind="municipality", code="1103", name="B", county_code="11", valid_from=dt.date(2024, 1, 1)
    )
    Unit.objects.create(
        kind="municipality", code="5001", name="C", county_code="50", valid_from=dt.date(2024, 1, 1)
    )
    Unit.objects.create(
        kind="municipality",
        code="1199",
        name="Gone",
        county_code="11",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2024, 1, 1),
    )
    services.scheme_status_record(unit=known, by=None, state="never", as_of=on)
    template = SurveyTemplate.objects.get(code="short-2016")
    campaign = services.campaign_create(template=template, by=None, name="X")
    added = services.campaign_add_units(
        campaign=campaign,
        by=None,
        unit_kinds=["municipality"],
        on_date=on,
        county_code="11",
        only_unknown=True,
    )
    assert added == 1
    assert list(campaign.recipients.values_list("unit__code", "status")) == [("1103", "no_address")]
    # Adding again adds nothing twice.
    assert (
        services.campaign_add_units(
            campaign=campaign, by=None, unit_kinds=["municipality"], on_date=on
        )
        == 2
    )
    with pytest.raises(ValidationError):
        services.campaign_add_units(campaign=campaign, by=None, unit_kinds=["county"])
