"""The referral pages: create (referrer and coordinator), duplicates and merge, decide, withdraw,
detail (what each role sees), list filters, eligibility rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kobling.referrals.identity import synthetic_national_id
from kobling.referrals.models import EligibilityRules, Referral
from tests import factories as f
from tests.referrals.payloads import BORN, page_payload

pytestmark = pytest.mark.django_db


def test_a_referrer_sends_a_referral_on_the_page(cast, web):
    client = web(cast.referrer_a)
    form = client.get("/henvisninger/ny/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="coordinator_notes"' not in html and 'name="received_on"' not in html
    assert html.count("Must (otherwise a wish)") == 3

    response = client.post("/henvisninger/ny/", page_payload(cast))

    assert response.status_code == 302, response.context["form"].errors
    referral = Referral.objects.get()
    assert response["Location"] == f"/henvisninger/{referral.pk}/"
    assert referral.referrer == cast.referrer_a and referral.participant.birth_date == BORN
    assert referral.gender_is_must and not referral.age_is_must
    assert [str(t) for t in referral.preferred_times.all()] == ["Tuesday 17:00–19:00"]
    assert referral.consents.get().given_by == "Siri Sørli"


def test_a_coordinator_registers_a_paper_referral_with_notes_and_date(cast, web):
    received = timezone.localdate() - dt.timedelta(days=6)
    response = web(cast.coordinator_a).post(
        "/henvisninger/ny/",
        page_payload(
            cast,
            source="municipal_staff",
            referrer_name="Helsesykepleier Hanne",
            coordinator_notes="Kom på papir",
            received_on=received.isoformat(),
        ),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.referrer is None and referral.coordinator_notes == "Kom på papir"
    assert timezone.localtime(referral.received_at).date() == received


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"national_id": "01010112345"}, "national_id"),
        ({"national_id": synthetic_national_id(dt.date(2013, 1, 5))}, "guardian_name"),
        ({"contact_age_min": "60", "contact_age_max": "20"}, "contact_age_max"),
        ({"times-0-start_time": "19:00", "times-0-end_time": "18:00"}, "end_time"),
        ({"national_id": "", "alternative_id": "foreign"}, "alternative_id_note"),
    ],
)
def test_bad_input_on_the_page_shows_form_errors_and_saves_nothing(cast, web, over, field):
    response = web(cast.referrer_a).post("/henvisninger/ny/", page_payload(cast, **over))
    assert response.status_code == 200
    errors = {**response.context["form"].errors}
    for sub in response.context["formset"].forms:
        errors.update(sub.errors)
    assert field in errors, errors
    assert not Referral.objects.exists()


def test_a_duplicate_on_the_page_is_refused_and_a_coordinator_may_merge(cast, web):
    web(cast.referrer_a).post("/henvisninger/ny/", page_payload(cast))
    existing = Referral.objects.get()

    referrer_again = web(cast.referrer_a).post("/henvisninger/ny/", page_payload(cast))
    assert referrer_again.status_code == 200
    assert "already has an open referral" in referrer_again.content.decode()
    assert referrer_again.context["duplicate"] is None  # a referrer cannot merge

    coordinator = web(cast.coordinator_a)
    data = page_payload(cast, goals="Også styrketrening", source="nav")
    second = coordinator.post("/henvisninger/ny/", data)
    html = second.content.decode()
    assert second.context["duplicate"] == existing
    assert f'formaction="/henvisninger/{existing.pk}/slaa-sammen/"' in html

    merged = coordinator.post(f"/henvisninger/{existing.pk}/slaa-sammen/", data)
    assert merged.status_code == 302
    existing.refresh_from_db()
    assert "Også styrketrening" in existing.goals and Referral.objects.count() == 1
    assert existing.merges[0]["by"] == cast.coordinator_a.username


def test_the_merge_page_refuses_another_person(cast, web, referral_a):
    data = page_payload(cast)  # Siri, not referral_a's person
    response = web(cast.coordinator_a).post(f"/henvisninger/{referral_a.pk}/slaa-sammen/", data)
    assert response.status_code == 200
    assert "not the person" in response.content.decode()


def test_the_coordinator_decides_on_the_page(cast, web, referral_a):
    client = web(cast.coordinator_a)
    assert client.get(f"/henvisninger/{referral_a.pk}/vedtak/").status_code == 200
    response = client.post(
        f"/henvisninger/{referral_a.pk}/vedtak/",
        {
            "outcome": "granted",
            "reasons": "Oppfyller kriteriene",
            "priority": "1",
            "decided_on": timezone.localdate().isoformat(),
            "version": "1",
        },
    )
    assert response.status_code == 302
    referral_a.refresh_from_db()
    assert referral_a.status == "waiting" and referral_a.priority == 1


def test_the_decide_page_shows_unmet_rules_and_needs_an_override(cast, web, referral_a):
    EligibilityRules.objects.create(programme=cast.programme_a, min_age=70)
    client = web(cast.coordinator_a)
    page = client.get(f"/henvisninger/{referral_a.pk}/vedtak/").content.decode()
    assert "70" in page
    data = {
        "outcome": "granted",
        "reasons": "Ok",
        "priority": "2",
        "decided_on": timezone.localdate().isoformat(),
        "version": "1",
    }
    refused = client.post(f"/henvisninger/{referral_a.pk}/vedtak/", data)
    assert refused.status_code == 200 and "override_reason" in refused.context["form"].errors
    ok = client.post(
        f"/henvisninger/{referral_a.pk}/vedtak/", {**data, "override_reason": "Unntak"}
    )
    assert ok.status_code == 302


def test_a_decision_without_reasons_is_a_form_error(cast, web, referral_a):
    response = web(cast.coordinator_a).post(
        f"/henvisninger/{referral_a.pk}/vedtak/",
        {"outcome": "refused", "reasons": "  ", "priority": "2", "version": "1"},
    )
    assert response.status_code == 200 and "reasons" in response.context["form"].errors
    referral_a.refresh_from_db()
    assert referral_a.status == "received"


def test_the_detail_page_shows_notes_duplicates_and_eligibility_only_to_coordinators(
    cast, web, referral_a
):
    f.ParticipantFactory(
        municipality=cast.a,
        first_name=referral_a.participant.first_name,
        last_name=referral_a.participant.last_name,
        birth_date=dt.date(1985, 5, 18),
    )
    EligibilityRules.objects.create(programme=cast.programme_a, max_age=30)

    coordinator = web(cast.coordinator_a).get(f"/henvisninger/{referral_a.pk}/").content.decode()
    assert "Hemmelig notat" in coordinator and "Possible duplicate" in coordinator
    assert "30" in coordinator and "eligibility rules" in coordinator

    referrer = web(cast.referrer_a).get(f"/henvisninger/{referral_a.pk}/").content.decode()
    assert "Hemmelig notat" not in referrer and "Possible duplicate" not in referrer
    assert "Trenger rolig start" in referrer


def test_the_list_filters_by_status_and_name(cast, web, referral_a):
    other = f.ReferralFactory(programme=cast.programme_a, status="waiting")
    client = web(cast.coordinator_a)
    response = client.get("/henvisninger/?status=waiting")
    assert [r.pk for r, _d in response.context["rows"]] == [other.pk]
    response = client.get(f"/henvisninger/?q={referral_a.participant.last_name}")
    assert [r.pk for r, _d in response.context["rows"]] == [referral_a.pk]


def test_withdrawing_on_the_page(cast, web, referral_a):
    response = web(cast.coordinator_a).post(
        f"/henvisninger/{referral_a.pk}/trekk/", {"reason": "Ønsker ikke lenger", "version": "1"}
    )
    assert response.status_code == 302
    referral_a.refresh_from_db()
    assert referral_a.status == "withdrawn" and referral_a.closed_at


def test_eligibility_rules_are_set_on_the_page_and_audited(cast, web):
    from kobling.helpers.models import TargetGroup
    from kobling.tenancy.models import AuditEntry

    youth = TargetGroup.objects.get(code="youth")
    client = web(cast.coordinator_a)
    url = f"/tiltak/{cast.programme_a.pk}/opptakskriterier/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"min_age": "30", "max_age": "20", "residents_only": "on"})
    assert bad.status_code == 200 and "max_age" in bad.context["form"].errors
    ok = client.post(
        url,
        {
            "min_age": "13",
            "max_age": "19",
            "target_groups": [youth.pk],
            "benefit_recheck_weeks": "26",
        },
    )
    assert ok.status_code == 302
    rules = EligibilityRules.objects.get(programme=cast.programme_a)
    assert (rules.min_age, rules.max_age, rules.residents_only) == (13, 19, False)
    assert [t.code for t in rules.target_groups.all()] == ["youth"]
    assert AuditEntry.objects.filter(object_type="referrals.eligibilityrules").exists()


def test_the_navigation_shows_referrals_to_referrers_and_managers_only(cast, web):
    assert "/henvisninger/" in web(cast.referrer_a).get("/").content.decode()
    assert "/henvisninger/" in web(cast.coordinator_a).get("/").content.decode()
    assert "/henvisninger/" not in web(cast.contact_user_a).get("/").content.decode()
