"""Participants confirm or dispute a provider's visit by link, where the programme's placement
settings ask for it, through a real local SMTP server: a visit reported as come sends one e-mail
(first name, provider, day — nothing about health), the page takes "I was there" or "I was not
there" once, the answer is written onto the visit entry (the database allows exactly that and
nothing else), a dispute raises the coordinator's alert and shows on the placement, and the
coordinator's look (not come, or kept with a reason) is a new entry that ends the alert."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kobling.core.alerts import alerts_for
from kobling.core.models import OutboxMessage
from kobling.followup.report import build_episode_report
from kobling.providers import confirmations, services
from kobling.providers.models import PlacementSettings, ProviderVisit, VisitConfirmationLink
from kobling.referrals.models import Participant
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.providers.builders import gym, placed, provider_course, provider_programme, staff_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def programme(cast):
    return provider_programme(cast)


@pytest.fixture
def asking(programme):
    PlacementSettings.objects.create(programme=programme, visit_confirmation_by_participant=True)
    return programme


@pytest.fixture
def placement(cast, programme):
    provider = gym(cast, staff=staff_user("ansatt@gym.test"))
    episode = provider_course(cast, programme, provider, first_name="Anne")
    Participant.objects.filter(pk=episode.participant_id).update(email="anne@example.test")
    return placed(cast, episode, provider)


def report_visit(placement, committed, *, days_back=2, external_id="V-1"):
    with committed():
        return services.visit_record(
            placement=placement,
            visited_on=timezone.localdate() - dt.timedelta(days=days_back),
            minutes=60,
            source="api",
            external_id=external_id,
        ).visit


def link_path(message) -> str:
    [link] = message.links()
    return urlsplit(link).path


def answer(path, choice, **extra):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    if page.status_code != 200:
        return page
    data = {"answer": choice, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value, **extra}
    return browser.post(path, data)


def disputed_alerts(user):
    return [a for a in alerts_for(user) if a.kind == confirmations.DISPUTED]


@pytest.mark.smtp
def test_a_reported_visit_sends_one_link_without_health_details(
    cast, asking, placement, smtp_server, committed
):
    report_visit(placement, committed)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["anne@example.test"]
    assert "Anne" in mail.text and placement.provider.name in mail.subject
    for secret in ("sykepenger", "Frisklivssentralen", "Styrketrening"):
        assert secret not in mail.prose and secret not in mail.subject
    assert link_path(mail).startswith("/bekreft-besok/")
    assert VisitConfirmationLink.objects.count() == 1


@pytest.mark.smtp
def test_i_was_there_confirms_the_visit_once_and_the_report_counts_it(
    cast, asking, placement, smtp_server, committed, api
):
    visit = report_visit(placement, committed)
    path = link_path(smtp_server.messages[0])
    page = Client().get(path)
    html = page.content.decode()
    assert page.status_code == 200 and "Anne" in html and placement.provider.name in html
    assert "Styrketrening" not in html
    visit.refresh_from_db()
    assert visit.answered_at is None  # a GET changes nothing

    done = answer(path, "yes")
    assert done.status_code == 200 and "You confirmed that you were there." in done.content.decode()
    visit.refresh_from_db()
    assert (visit.confirmation, visit.attended) == ("confirmed", True)
    assert AuditEntry.objects.filter(
        object_type="providers.providervisit", object_id=str(visit.pk), via=confirmations.VIA_LINK
    ).exists()
    again = answer(path, "no")
    assert again.status_code == 409
    visit.refresh_from_db()
    assert visit.confirmation == "confirmed"

    figures = build_episode_report(placement.episode)
    assert (figures.provider_visits, figures.provider_visits_confirmed) == (1, 1)
    body = api(cast.referrer_a).get(f"/api/v1/episodes/{placement.episode_id}/report/").json()
    assert (body["provider_visits_confirmed"], body["provider_visits_disputed"]) == (1, 0)
    shown = signed_in(cast.coordinator_a).get(
        reverse("web:episode_report", args=[placement.episode_id])
    )
    assert "confirmed / disputed by the participant" in shown.content.decode()
    staff_page = signed_in(placement.provider.staff.get().user).get(
        reverse("web:provider_placement", args=[placement.pk])
    )
    assert "Confirmed by the participant" in staff_page.content.decode()


@pytest.mark.smtp
def test_i_was_not_there_raises_an_alert_that_the_coordinators_look_ends(
    cast, asking, placement, smtp_server, committed
):
    visit = report_visit(placement, committed)
    done = answer(link_path(smtp_server.messages[0]), "no")
    assert "Your coordinator will look at it" in done.content.decode()
    visit.refresh_from_db()
    assert (visit.attended, visit.confirmation) == (True, "disputed")
    assert build_episode_report(placement.episode).provider_visits_disputed == 1

    [alert] = disputed_alerts(cast.coordinator_a)
    assert alert.subject == placement.episode.participant.full_name
    assert alert.url == reverse("web:provider_placement", args=[placement.pk])
    assert disputed_alerts(cast.coordinator_b) == []
    page = signed_in(cast.coordinator_a)
    detail = page.get(alert.url).content.decode()
    assert "The participant says they were not there" in detail and "Keep the visit" in detail
    # The provider's staff see the dispute but cannot settle it; another municipality gets 404.
    url = reverse("web:provider_visit_resolve", args=[visit.pk])
    staff = signed_in(placement.provider.staff.get().user)
    assert "Keep the visit" not in staff.get(alert.url).content.decode()
    assert staff.post(url, {"decision": "absent", "reason": "x"}).status_code == 403
    assert signed_in(cast.coordinator_b).post(url, {"decision": "absent"}).status_code == 404
    # Without a reason nothing happens.
    refused = page.post(url, {"decision": "absent", "reason": " "}, follow=True)
    assert "Say why the entry is corrected" in refused.content.decode()
    assert ProviderVisit.objects.count() == 1
    # Recorded as not come: a new entry supersedes, the alert goes, the report drops it.
    page.post(url, {"decision": "absent", "reason": "Ikke der ifølge deltakeren"})
    current = ProviderVisit.objects.current().get()
    assert (current.attended, current.supersedes_id) == (False, visit.pk)
    assert disputed_alerts(cast.coordinator_a) == []
    assert build_episode_report(placement.episode).provider_visits == 0
    assert len(smtp_server.messages) == 1  # a correction sends no new link


def test_the_coordinator_keeps_a_disputed_visit_with_a_reason(cast, asking, placement, committed):
    visit = report_visit(placement, committed)
    confirmations.visit_answer(link=VisitConfirmationLink.objects.get(), was_there=False)
    signed_in(cast.coordinator_a).post(
        reverse("web:provider_visit_resolve", args=[visit.pk]),
        {"decision": "keep", "reason": "Innsjekk med kort, kamera bekrefter"},
    )
    current = ProviderVisit.objects.current().get()
    assert current.attended and current.supersedes.confirmation == "disputed"
    assert disputed_alerts(cast.coordinator_a) == []
    assert build_episode_report(placement.episode).provider_visits == 1


def test_the_answer_is_written_once_and_the_visit_stays_append_only(
    cast, asking, placement, committed
):
    visit = report_visit(placement, committed)
    confirmations.visit_answer(link=VisitConfirmationLink.objects.get(), was_there=True)
    table = ProviderVisit._meta.db_table
    for sql in (
        f"UPDATE {table} SET confirmation = 'disputed'",
        f"UPDATE {table} SET minutes = 5",
        f"DELETE FROM {table}",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    visit.refresh_from_db()
    assert (visit.confirmation, visit.minutes) == ("confirmed", 60)


@pytest.mark.smtp
def test_a_corrected_visit_closes_its_link_and_another_visits_answer_is_refused(
    cast, asking, placement, smtp_server, committed
):
    first = report_visit(placement, committed, external_id="A")
    second = report_visit(placement, committed, days_back=1, external_id="B")
    first_path, second_path = (link_path(m) for m in smtp_server.messages)
    wrong = answer(first_path, "yes", entry=str(second.pk))
    assert wrong.status_code == 200 and "about another visit" in wrong.content.decode()
    assert not ProviderVisit.objects.filter(answered_at__isnull=False).exists()
    services.visit_correct(visit=first, by=cast.coordinator_a, reason="Feil dag", attended=False)
    closed = Client().get(first_path)
    assert closed.status_code == 410 and "has been corrected" in closed.content.decode()
    assert Client().get(second_path).status_code == 200
    assert Client().get("/bekreft-besok/not-a-token/").status_code == 404


@pytest.mark.smtp
def test_without_the_setting_or_an_address_no_link_and_a_file_is_limited_per_day(
    cast, programme, placement, smtp_server, committed
):
    report_visit(placement, committed)
    assert not VisitConfirmationLink.objects.exists() and smtp_server.messages == []
    assert not OutboxMessage.objects.filter(purpose=confirmations.PURPOSE).exists()
    PlacementSettings.objects.create(programme=programme, visit_confirmation_by_participant=True)
    today = timezone.localdate()
    rows = "".join(f"F-{n};{placement.pk};{today - dt.timedelta(days=n)};45\n" for n in range(3, 8))
    with committed():
        report = services.visits_import(
            provider=placement.provider, content="visit_id;placement;date;minutes\n" + rows, by=None
        )
    # Five visits in one file: three links today (the send limit), two named as over it.
    assert (report.created, report.links.sent, len(report.links.over_limit)) == (5, 3, 2)
    assert len(smtp_server.messages) == 3
    Participant.objects.filter(pk=placement.episode.participant_id).update(email="")
    with committed():
        services.visit_record(
            placement=placement, visited_on=today, minutes=30, source="phone", external_id=""
        )
    assert VisitConfirmationLink.objects.count() == 3
