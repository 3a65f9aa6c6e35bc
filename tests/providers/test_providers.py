"""Providers, trainers, placements and visits end to end: the organisation number is checked,
an uncertified trainer cannot be assigned, the provider answers or the coordinator is alerted,
a decline keeps the history, visits arrive three ways as the same append-only entries, refusals
say why, and the referrer report counts what the provider confirmed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from kobling.core.alerts import alerts_for
from kobling.core.models import OutboxMessage
from kobling.followup.report import build_episode_report
from kobling.lib.errors import ConflictError
from kobling.providers import reminders, services
from kobling.providers.alerts import placement_unanswered
from kobling.providers.models import Placement, ProviderVisit
from kobling.providers.selectors import PlacedSpan, VisitRow, provider_part
from kobling.referrals.models import Consent
from tests.conftest import signed_in
from tests.providers.builders import (
    ORGNR,
    certified,
    gym,
    placed,
    provider_course,
    provider_programme,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(cast):
    return provider_programme(cast)


def test_a_provider_needs_a_valid_organisation_number_and_saves_nothing_otherwise(cast):
    with pytest.raises(ValidationError) as err:
        services.provider_create(
            by=cast.coordinator_a,
            municipality=cast.a,
            data={"name": "Feil AS", "organisation_number": "123456789", "kind": "gym"},
        )
    assert "organisation_number" in err.value.message_dict
    provider = gym(cast, orgnr="974 760 673")
    assert provider.organisation_number == "974760673"


def test_a_stale_edit_of_a_provider_is_refused(cast):
    provider = gym(cast)
    services.provider_update(
        provider=provider, by=None, data={"contact_name": "Kari"}, expected_version=1
    )
    with pytest.raises(ConflictError):
        services.provider_update(
            provider=provider, by=None, data={"contact_name": "Ola"}, expected_version=1
        )


def test_an_uncertified_trainer_cannot_be_assigned(cast, programme):
    provider = gym(cast)
    expired = certified(cast, provider, days=-1)
    episode = provider_course(cast, programme, provider)
    with pytest.raises(ValidationError) as err:
        services.placement_create(
            by=cast.coordinator_a,
            episode=episode,
            provider=provider,
            trainer=expired,
            activity="Styrke",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + dt.timedelta(weeks=12),
        )
    assert "trainer" in err.value.message_dict
    assert not Placement.objects.exists()
    good = certified(cast, provider, number="PT-2")
    placement = services.placement_create(
        by=cast.coordinator_a,
        episode=episode,
        provider=provider,
        trainer=good,
        activity="Styrke",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(weeks=12),
    )
    assert placement.trainer == good


def test_placing_needs_the_persons_consent_to_share_with_the_provider(cast, programme):
    provider = gym(cast)
    episode = provider_course(cast, programme, provider, consent=False)
    with pytest.raises(ValidationError) as err:
        placed(cast, episode, provider)
    assert provider.name in " ".join(err.value.message_dict["provider"])


def test_a_decline_returns_the_course_and_keeps_the_history(cast, programme):
    provider = gym(cast)
    other = gym(cast, "Havna Helse", orgnr=ORGNR[1])
    Consent.objects.create(
        referral=provider_course(cast, programme, provider).referral,
        municipality=cast.a,
        scope="share_with_partner",
        partner_name=other.name,
        given_on=timezone.localdate(),
        given_by="Deltakeren",
    )
    episode = Placement.objects.none().model.episode.field.related_model.objects.get()
    first = placed(cast, episode, provider, accept=False)
    with pytest.raises(ValidationError):
        placed(cast, episode, other, accept=False)  # one open placement at a time
    with pytest.raises(ValidationError):
        services.placement_answer(placement=first, by=None, accept=False, expected_version=1)
    services.placement_answer(
        placement=first, by=None, accept=False, reason="Fullt", expected_version=1
    )
    second = placed(cast, episode, other)
    assert list(Placement.objects.filter(episode=episode).values_list("status", flat=True)) == [
        "accepted",
        "declined",
    ]
    episode.refresh_from_db()
    assert episode.status == "active" and episode.started_on == second.starts_on


def test_an_unanswered_placement_alerts_the_coordinator_after_the_programmes_days(cast, programme):
    provider = gym(cast)
    placement = placed(cast, provider_course(cast, programme, provider), provider, accept=False)
    today = timezone.localdate()
    assert placement.answer_by == today + dt.timedelta(days=5)
    assert placement_unanswered([cast.a.pk], placement.answer_by) == []
    late = placement_unanswered([cast.a.pk], placement.answer_by + dt.timedelta(days=1))
    assert [a.kind for a in late] == ["placement_unanswered"]
    assert alerts_for(cast.coordinator_b, today=placement.answer_by + dt.timedelta(days=1)) == []


def test_a_certificate_about_to_expire_is_reminded_once_through_the_outbox(
    cast, django_capture_on_commit_callbacks
):
    provider = gym(cast)
    trainer = certified(cast, provider, days=10)
    trainer.email = "tor@gym.test"
    trainer.save(update_fields=["email"])
    certified(cast, provider, days=300, number="PT-9")  # another trainer: not due
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.certificate_reminders_tick() == {"queued": 1}
    assert reminders.certificate_reminders_tick() == {"queued": 0}
    assert OutboxMessage.objects.filter(purpose="certificate-expiry").count() == 1
    assert [m.to for m in mail.outbox] == [["tor@gym.test"]]


# --- visits ------------------------------------------------------------------------------------


def test_visits_arrive_three_ways_as_the_same_entries_and_count_in_the_report(cast, api, programme):
    trainer_user = staff_user("pt@gym.test")
    provider = gym(cast, staff=trainer_user)
    trainer = certified(cast, provider)
    trainer.user = trainer_user
    trainer.save(update_fields=["user"])
    episode = provider_course(cast, programme, provider)
    placement = placed(cast, episode, provider)
    today = timezone.localdate()
    # (a) the provider's system, twice with the same id: one entry.
    first = services.visit_record(
        placement=placement,
        visited_on=today - dt.timedelta(days=7),
        minutes=60,
        source="api",
        external_id="X-1",
    )
    again = services.visit_record(
        placement=placement,
        visited_on=today - dt.timedelta(days=7),
        minutes=60,
        source="api",
        external_id="X-1",
    )
    assert first.created and not again.created and again.visit.pk == first.visit.pk
    # (b) a file.
    report = services.visits_import(
        provider=provider,
        content=f"visit_id;placement;date;minutes\nX-2;{placement.pk};"
        f"{(today - dt.timedelta(days=3)):%d.%m.%Y};45\nX-1;{placement.pk};{today};60\n",
        by=None,
    )
    assert (report.ok, report.created, report.already) == (True, 1, 1)
    # (c) the trainer's phone.
    response = signed_in(trainer_user).post(
        reverse("web:provider_phone"), {"placement": placement.pk, "minutes": 30}
    )
    assert response.status_code == 302
    assert sorted(ProviderVisit.objects.values_list("source", flat=True)) == ["api", "csv", "phone"]
    figures = build_episode_report(episode)
    assert (figures.sessions_held, figures.minutes_total) == (3, 135)
    assert (figures.provider_visits, figures.sessions_confirmed) == (3, 0)
    # The referrer reads the same numbers through the API and on the report page.
    body = api(cast.referrer_a).get(f"/api/v1/episodes/{episode.pk}/report/").json()
    assert (body["sessions_held"], body["provider_visits"]) == (3, 3)
    page = signed_in(cast.coordinator_a).get(reverse("web:episode_report", args=[episode.pk]))
    assert "Visits confirmed by the provider" in page.content.decode()


def test_a_bad_file_names_every_bad_row_and_saves_nothing(cast, programme):
    provider = gym(cast)
    placement = placed(cast, provider_course(cast, programme, provider), provider)
    elsewhere = gym(cast, "Annet", orgnr=ORGNR[1])
    foreign = placed(cast, provider_course(cast, programme, elsewhere, first_name="Per"), elsewhere)
    today = timezone.localdate()
    content = "\n".join(
        [
            "visit_id,placement,date,minutes",
            f"A,{placement.pk},{today},60",
            f"B,{placement.pk},{today + dt.timedelta(days=400)},60",
            f"C,{foreign.pk},{today},60",
            f"A,{placement.pk},{today},60",
            f"D,{placement.pk},igår,0",
            f"E,{placement.pk},{today - dt.timedelta(weeks=20)},60",
        ]
    )
    report = services.visits_import(provider=provider, content=content, by=None)
    assert [row for row, _reason in report.errors] == [3, 4, 5, 6, 7]
    text = dict(report.errors)
    assert "future" in text[3] and "no placement" in text[4] and "row 2" in text[5]
    assert "outside" in text[7]
    assert not ProviderVisit.objects.exists()


def test_a_visit_outside_the_period_is_refused_with_the_reason(cast, programme):
    provider = gym(cast)
    placement = placed(cast, provider_course(cast, programme, provider), provider)
    with pytest.raises(ValidationError) as err:
        services.visit_record(
            placement=placement,
            visited_on=placement.starts_on - dt.timedelta(days=1),
            minutes=60,
            source="api",
            external_id="Z",
        )
    assert "outside" in " ".join(err.value.message_dict["date"])


def test_visits_are_append_only_and_a_correction_supersedes(cast, programme):
    provider = gym(cast)
    episode = provider_course(cast, programme, provider)
    placement = placed(cast, episode, provider)
    visit = services.visit_record(
        placement=placement,
        visited_on=timezone.localdate(),
        minutes=60,
        source="api",
        external_id="V",
    ).visit
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ProviderVisit._meta.db_table} SET minutes = 5")
    fixed = services.visit_correct(
        visit=visit, by=cast.coordinator_a, reason="Feil", attended=False
    )
    assert fixed.supersedes_id == visit.pk
    assert build_episode_report(episode).sessions_held == 0


def test_the_report_part_counts_attended_visits_pure():
    today = dt.date(2026, 3, 31)
    part = provider_part(
        [PlacedSpan(dt.date(2026, 3, 1), dt.date(2026, 5, 31))],
        [VisitRow(dt.date(2026, 3, 2), 60, True), VisitRow(dt.date(2026, 3, 9), 45, False)],
        today,
    )
    assert (part.held, part.no_show, part.minutes, part.end) == (1, 1, 60, None)
    assert provider_part([], [], today) is None


def test_accepting_starts_the_course_and_ending_it_closes_the_placement(cast):
    """Accepting starts a waiting course as a group place does (its referral: granted, course
    under way); when the coordinator ends the course, its accepted placement ends that day and
    a placement still waiting for an answer is withdrawn."""
    from kobling.referrals import episodes
    from kobling.referrals.models import Referral

    programme = provider_programme(cast)
    provider = gym(cast)
    siri = provider_course(cast, programme, provider)
    placement = placed(cast, siri, provider)
    siri.refresh_from_db()
    assert (siri.status, siri.started_on) == ("active", placement.starts_on)
    assert Referral.objects.get(pk=siri.referral_id).status == "started"
    today = timezone.localdate()
    episodes.episode_end(
        episode=siri, by=cast.coordinator_a, ended_on=today, end_reason="goal_reached"
    )
    placement.refresh_from_db()
    assert (placement.status, placement.ends_on) == ("accepted", today)
    assert Referral.objects.get(pk=siri.referral_id).status == "closed"

    tore = provider_course(cast, programme, provider, first_name="Tore")
    waiting = placed(cast, tore, provider, accept=False)
    episodes.episode_end(
        episode=tore, by=cast.coordinator_a, ended_on=today, end_reason="participant_stopped"
    )
    waiting.refresh_from_db()
    assert waiting.status == "withdrawn"
