"""The quality demo runs on top of the main demo: three submitted, improving years and this
year's draft for Fjordvik's and Nordby's treningskontakt programmes, and the pages render."""

import pytest
from django.urls import reverse
from django.utils import timezone

from kobling.demo.loader import load_demo
from kobling.quality.demo import load_quality_demo
from kobling.quality.models import SelfAssessment
from kobling.quality.selectors import assessments_of, programme_trend
from kobling.tenancy.models import Programme, User
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_quality_demo_runs_after_the_demo_and_shows_an_improving_trend(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    made = load_demo()  # loads the quality demo too
    today = timezone.localdate()
    assert (made["quality_submitted"], made["quality_drafts"]) == (6, 2)
    # Running it again makes nothing new.
    assert load_quality_demo(today) == {"quality_submitted": 0, "quality_drafts": 0}
    for slug in ("fjordvik", "nordby"):
        coordinator = User.objects.get(username=f"koordinator@{slug}.demo")
        programme = Programme.objects.get(
            municipality__memberships__user=coordinator, name="Treningskontakt"
        )
        years = programme_trend(assessments_of([programme]), programme.pk)
        assert [y.year for y in years] == [today.year - 3, today.year - 2, today.year - 1]
        totals = [y.scores.percent for y in years]
        assert totals == sorted(totals) and totals[0] < totals[-1], slug
        assert [y.total_change for y in years[1:]] == ["up", "up"]
        draft = SelfAssessment.objects.get(programme=programme, year=today.year)
        assert draft.status == "draft" and draft.answers.count() == 10
        web = signed_in(coordinator)
        for url in (
            reverse("web:quality_list"),
            reverse("web:quality_detail", args=[years[-1].assessment_id]),
            reverse("web:quality_detail", args=[draft.pk]),
            reverse("web:quality_edit", args=[draft.pk]),
            reverse("web:quality_trend", args=[programme.pk]),
            reverse("web:quality_key_persons", args=[programme.pk]),
        ):
            assert web.get(url).status_code == 200, url
        # The demo has sessions, decisions and approvals: evidence and people are found.
        detail = web.get(reverse("web:quality_detail", args=[years[-1].assessment_id]))
        html = detail.content.decode()
        assert "sessions held of" in html or "fewer than 5 participants" in html
        coordination = detail.context["responsibilities"][0]
        assert coordination.code == "coordination" and coordination.people
