"""The pages as a coordinator uses them: start, fill in, submit, view with scores, the previous
year and evidence, correct; the trend with chart and CSV; the key-person page. List pages and the
API keep their query count as the data grows."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.dashboards.models import DashboardFact, Grain
from kobling.quality import services
from kobling.quality.checklist import CHECKLIST
from kobling.quality.forms import comment_field, score_field
from kobling.quality.models import SelfAssessment
from kobling.tenancy.models import AuditEntry
from tests import factories as f
from tests.conftest import signed_in
from tests.quality.builders import submitted

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def _form_data(assessment, score=2, **extra):
    data = {"version": assessment.version, "note": "Gjort i styringsgruppen"}
    for item in CHECKLIST.items:
        data[score_field(item.code)] = str(score)
        data[comment_field(item.code)] = ""
    data.update(extra)
    return data


def test_a_coordinator_starts_fills_in_and_submits_an_assessment(cast):
    web = signed_in(cast.coordinator_a)
    response = web.post(
        reverse("web:quality_create"), {"programme": cast.programme_a.pk, "year": YEAR}
    )
    assessment = SelfAssessment.objects.get()
    assert response["Location"] == reverse("web:quality_edit", args=[assessment.pk])
    page = web.get(response["Location"])
    assert page.status_code == 200 and "1.1" in page.content.decode()
    # A half-filled draft is saved; submitting it is refused with the missing items.
    data = _form_data(assessment, **{score_field("evaluation.dose"): ""})
    response = web.post(reverse("web:quality_edit", args=[assessment.pk]), data)
    assert response.status_code == 302
    response = web.post(
        reverse("web:quality_submit", args=[assessment.pk]), {"version": 2}, follow=True
    )
    assert "6.2" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.answers.count() == 19
    data = _form_data(assessment, **{score_field("evaluation.dose"): "0"})
    web.post(reverse("web:quality_edit", args=[assessment.pk]), data)
    web.post(reverse("web:quality_submit", args=[assessment.pk]), {"version": 3})
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    # Now the edit page only sends back to the view.
    response = web.get(reverse("web:quality_edit", args=[assessment.pk]))
    assert response["Location"] == reverse("web:quality_detail", args=[assessment.pk])


def test_a_stale_form_is_refused_with_a_conflict_message(cast):
    web = signed_in(cast.coordinator_a)
    assessment = services.assessment_create(
        programme=cast.programme_a, year=YEAR, by=cast.coordinator_a
    )
    stale = _form_data(assessment)
    services.assessment_update(
        assessment=assessment, by=cast.admin_a, answers={"team.roles": (3, "")}
    )
    response = web.post(reverse("web:quality_edit", args=[assessment.pk]), stale)
    assert response.status_code == 200
    assert "Someone else changed" in response.content.decode()
    assert assessment.answers.count() == 1


def test_a_score_outside_the_scale_is_refused_on_the_form(cast):
    web = signed_in(cast.coordinator_a)
    assessment = services.assessment_create(
        programme=cast.programme_a, year=YEAR, by=cast.coordinator_a
    )
    data = _form_data(assessment, **{score_field("team.roles"): "7"})
    response = web.post(reverse("web:quality_edit", args=[assessment.pk]), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not assessment.answers.exists()


def test_the_view_shows_scores_the_previous_year_evidence_and_key_persons(cast):
    submitted(cast.programme_a, YEAR - 2, cast.coordinator_a, default=1)
    this = submitted(cast.programme_a, YEAR - 1, cast.coordinator_a, default=2, team__roles=0)
    # Dose from the dashboards' aggregates: 40 planned, 30 held, 6 participants.
    for metric, value, grain in (
        ("sessions_planned", 40, Grain.MONTH),
        ("sessions_held", 30, Grain.MONTH),
        ("participants_served", 6, Grain.YEAR),
    ):
        DashboardFact.objects.create(
            municipality=cast.a,
            programme=cast.programme_a,
            grain=grain,
            period=dt.date(YEAR - 1, 1 if grain == Grain.YEAR else 3, 1),
            metric=metric,
            value=Decimal(value),
        )
    response = signed_in(cast.coordinator_a).get(reverse("web:quality_detail", args=[this.pk]))
    html = response.content.decode()
    rows = {r["score"].code: r for r in response.context["rows"]}
    # Domain 1: 0 + 4 × 2 = 8 of 15 = 53.3 %, against 5 of 15 = 33.3 % the year before.
    assert rows["team"]["score"].percent == Decimal("53.3")
    assert rows["team"]["before"].percent == Decimal("33.3") and rows["team"]["change"] == "up"
    assert response.context["scores"].not_in_place == 1
    assert "30 sessions held of 40 planned (75.0 %), 6 participants" in html
    assert reverse("web:quality_key_persons", args=[cast.programme_a.pk]) in html
    assert "Coordination" in html and cast.coordinator_a.get_full_name() in html
    assert "Resting on one person" in html  # coordination rests on the one coordinator
    assert reverse("web:quality_correct", args=[this.pk]) in html


def test_dose_describing_fewer_than_5_participants_is_not_shown(cast):
    this = submitted(cast.programme_a, YEAR - 1, cast.coordinator_a)
    for metric, value, grain in (
        ("sessions_planned", 12, Grain.MONTH),
        ("sessions_held", 9, Grain.MONTH),
        ("participants_served", 2, Grain.YEAR),
    ):
        DashboardFact.objects.create(
            municipality=cast.a,
            programme=cast.programme_a,
            grain=grain,
            period=dt.date(YEAR - 1, 1, 1),
            metric=metric,
            value=Decimal(value),
        )
    html = signed_in(cast.admin_a).get(reverse("web:quality_detail", args=[this.pk])).content
    assert b"fewer than 5 participants" in html and b"9 sessions" not in html


def test_a_correction_through_the_pages(cast):
    web = signed_in(cast.admin_a)
    old = submitted(cast.programme_a, YEAR - 1, cast.coordinator_a)
    response = web.post(reverse("web:quality_correct", args=[old.pk]), {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors
    response = web.post(reverse("web:quality_correct", args=[old.pk]), {"reason": "Feil i 6.2"})
    new = SelfAssessment.objects.get(supersedes=old)
    assert response["Location"] == reverse("web:quality_edit", args=[new.pk])
    html = web.get(reverse("web:quality_detail", args=[old.pk])).content.decode()
    assert "A correction of this self-assessment has been started" in html
    assert reverse("web:quality_correct", args=[old.pk]) not in html
    web.post(reverse("web:quality_submit", args=[new.pk]), {"version": new.version})
    html = web.get(reverse("web:quality_detail", args=[old.pk])).content.decode()
    assert "has been replaced by a correction" in html
    assert "Feil i 6.2" in web.get(reverse("web:quality_detail", args=[new.pk])).content.decode()


def test_the_trend_page_has_a_chart_a_table_and_a_csv_export(cast):
    for offset, default in ((3, 1), (2, 2), (1, 1)):
        submitted(cast.programme_a, YEAR - offset, cast.coordinator_a, default=default)
    services.assessment_create(programme=cast.programme_a, year=YEAR, by=cast.coordinator_a)
    web = signed_in(cast.coordinator_a)
    response = web.get(reverse("web:quality_trend", args=[cast.programme_a.pk]))
    html = response.content.decode()
    assert html.count("<svg") == 2 and "<script>" not in html and "style=" not in html
    assert [y.year for y in response.context["years"]] == [YEAR - 3, YEAR - 2, YEAR - 1]
    assert [y.total_change for y in response.context["years"]] == [None, "up", "down"]
    response = web.get(reverse("web:quality_trend_csv", args=[cast.programme_a.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Year" and len(rows) == 4
    # 1 × 20 = 20 of 60 = 33.3 %; 2 × 20 = 40 of 60 = 66.7 %.
    assert rows[1][0] == str(YEAR - 3) and rows[1][-5:] == ["20", "60", "33.3", "", "0"]
    assert rows[2][-5:] == ["40", "60", "66.7", "up", "0"]
    assert rows[3][-4:-1] == ["60", "33.3", "down"]
    assert AuditEntry.objects.filter(action="export", object_id=str(cast.programme_a.pk)).exists()


def test_the_list_shows_the_latest_score_change_draft_and_risks(cast):
    submitted(cast.programme_a, YEAR - 2, cast.coordinator_a, default=1)
    latest = submitted(cast.programme_a, YEAR - 1, cast.coordinator_a, default=3)
    draft = services.assessment_create(programme=cast.programme_a, year=YEAR, by=cast.admin_a)
    response = signed_in(cast.coordinator_a).get(reverse("web:quality_list"))
    row = next(r for r in response.context["rows"] if r.programme == cast.programme_a)
    assert row.latest.assessment_id == latest.pk and row.latest.total_change == "up"
    assert row.latest.scores.percent == Decimal("100.0") and row.draft == draft
    assert {r.code for r in row.risks} == {
        "coordination",
        "course_leadership",
        "matching",
        "pay_approval",
    }
    assert "one person only" in response.content.decode()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


def _more_data(cast, n):
    """``n`` more programmes in A with three submitted years each."""
    for i in range(n):
        programme = f.ProgrammeFactory(municipality=cast.a, name=f"Program {i}")
        for offset in (3, 2, 1):
            submitted(programme, YEAR - offset, cast.coordinator_a)


def test_list_pages_and_the_api_keep_their_query_count(cast, api):
    submitted(cast.programme_a, YEAR - 1, cast.coordinator_a)
    web = signed_in(cast.coordinator_a)
    client = api(cast.coordinator_a)
    urls = [
        reverse("web:quality_list"),
        reverse("web:quality_trend", args=[cast.programme_a.pk]),
        "/api/v1/quality/assessments/",
    ]
    small = [_count(web if u.startswith("/kvalitet") else client, u) for u in urls]
    _more_data(cast, 4)
    for offset in (3, 2):
        submitted(cast.programme_a, YEAR - offset, cast.coordinator_a)
    large = [_count(web if u.startswith("/kvalitet") else client, u) for u in urls]
    assert small == large


def test_the_api_gives_scores_and_whether_the_assessment_stands(cast, api):
    old = submitted(cast.programme_a, YEAR - 1, cast.coordinator_a, default=3, plan__timeline=0)
    new = services.assessment_correct(assessment=old, by=cast.admin_a, reason="Feil")
    client = api(cast.coordinator_a)
    data = client.get(f"/api/v1/quality/assessments/{old.pk}/").data
    assert data["is_standing"] is True and data["status"] == "submitted"
    assert data["scores"]["points"] == 57 and data["scores"]["not_in_place"] == 1
    plan = next(d for d in data["scores"]["domains"] if d["code"] == "plan")
    assert (plan["points"], plan["max_points"], plan["percent"]) == (6, 9, "66.7")
    assert len(data["answers"]) == 20
    assert client.get(f"/api/v1/quality/assessments/{new.pk}/").data["is_standing"] is False
    services.assessment_submit(assessment=new, by=cast.admin_a)
    assert client.get(f"/api/v1/quality/assessments/{old.pk}/").data["is_standing"] is False
    listed = client.get(f"/api/v1/quality/assessments/?programme={cast.programme_a.pk}").data
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {r["id"] for r in rows} == {old.pk, new.pk}
    risk = client.get(f"/api/v1/quality/key-persons/?programme={cast.programme_a.pk}").data
    assert [r["code"] for r in risk["responsibilities"]] == [
        "coordination",
        "course_leadership",
        "matching",
        "pay_approval",
    ]
    assert risk["responsibilities"][0]["status"] == "risk"
    assert risk["responsibilities"][0]["people"] == [cast.coordinator_a.get_full_name()]
