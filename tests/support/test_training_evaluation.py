"""Training evaluated, Kirkpatrick's levels 1, 2 and 4 (level 3 is test_kirkpatrick.py): the
pure sums by hand; the forms before and after the course by a signed single-use link through the
outbox and a real local SMTP server, answered once; the run's and the provider's pages and the
API under the small-cell rule, for the municipality's managers and the provider's own
trainees; a fixed number of queries however many trainees."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kobling.courses.choices import EnrolmentStatus, RunStatus
from kobling.courses.models import Qualification
from kobling.support import training_forms
from kobling.support.kirkpatrick import (
    LEARNING_ITEMS,
    REACTION_ITEMS,
    Carried,
    learning,
    reaction,
    results,
)
from kobling.support.kirkpatrick_load import evaluation, report
from kobling.support.models import TrainingAnswer, TrainingFormLink
from tests import factories as f
from tests.conftest import signed_in
from tests.outcomes.builders import pairing, review, roomy

# --- the pure sums, by hand ---------------------------------------------------------------------


def test_reaction_means_each_item_over_the_answers_that_have_it():
    found = reaction(
        [
            {"overall": 5, "useful": 4, "ready_to_start": 3, "recommend": 5},
            {"overall": 4, "useful": 2, "ready_to_start": 3, "recommend": 4},
            {"overall": 3, "useful": 3, "ready_to_start": 3},
        ]
    )
    assert found.answered == 3
    means = {i.item: (i.answers, i.mean) for i in found.items}
    assert means == {
        "overall": (3, 4.0),
        "useful": (3, 3.0),
        "ready_to_start": (3, 3.0),
        "recommend": (2, 4.5),
    }


def test_learning_pairs_before_and_after_per_trainee():
    before = {
        1: {"knows_role": 2, "first_meeting": 1, "motivating": 3, "when_to_ask": 2},
        2: {"knows_role": 3, "first_meeting": 3, "motivating": 3, "when_to_ask": 3},
        # Answered before only: not in the change.
        3: {"knows_role": 1, "first_meeting": 1, "motivating": 1, "when_to_ask": 1},
    }
    after = {
        1: {"knows_role": 4, "first_meeting": 3, "motivating": 4, "when_to_ask": 5},
        2: {"knows_role": 3, "first_meeting": 4, "motivating": 3, "when_to_ask": 4},
        # Answered after only: not in the change either.
        4: {"knows_role": 5, "first_meeting": 5, "motivating": 5, "when_to_ask": 5},
    }
    found = learning(before, after)
    assert (found.before, found.after, found.pairs) == (3, 3, 2)
    rows = {i.item: (i.pairs, i.before, i.after, i.change) for i in found.items}
    assert rows["knows_role"] == (2, 2.5, 3.5, 1.0)
    assert rows["first_meeting"] == (2, 2.0, 3.5, 1.5)
    # Trainee 1: (2 + 2 + 1 + 3) / 4 = 2; trainee 2: (0 + 1 + 0 + 1) / 4 = 0.5 → mean 1.25.
    assert found.change == 1.25


def test_results_count_each_participant_once():
    found = results(
        [
            # Ended with the goal reached, 60 → 150 minutes: +90.
            Carried(1, True, True, 60.0, 150.0),
            # Ended otherwise, measured 100 → 70: −30.
            Carried(2, True, False, 100.0, 70.0),
            # Still going, no later review.
            Carried(3, False, False, 30.0, None),
            # Carried twice: one pairing still going, so not ended; first measured one counts.
            Carried(4, True, False, None, None),
            Carried(4, False, False, 0.0, 60.0),
        ]
    )
    assert (found.participants, found.ended, found.goal_reached, found.measured) == (4, 2, 1, 3)
    assert found.minutes_change == 40.0


def test_the_items_are_defined_once_and_labelled():
    assert set(training_forms.ITEM_LABELS) == set(REACTION_ITEMS) | set(LEARNING_ITEMS)
    assert training_forms.items_of("before") == LEARNING_ITEMS
    assert training_forms.items_of("after") == REACTION_ITEMS + LEARNING_ITEMS


# --- the forms by link ----------------------------------------------------------------------------

pytestmark = []
db = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def completed_run(cast, trainees: int = 0):
    """Cast A's run, completed a week ago, with the cast's enrolment completed and ``trainees``
    more trainees who completed."""
    run = cast.run_a
    today = timezone.localdate()
    run.starts_on, run.ends_on, run.status = (
        today - dt.timedelta(days=9),
        today - dt.timedelta(days=7),
        RunStatus.COMPLETED,
    )
    run.save()
    enrolments = [cast.enrolment_a]
    for _n in range(trainees):
        enrolments.append(
            f.EnrolmentFactory(run=run, helper=f.HelperFactory(programme=cast.programme_a))
        )
    for e in enrolments:
        e.status = EnrolmentStatus.COMPLETED
        e.completed_on = run.ends_on
        e.save()
    return run, enrolments


def answer_all(enrolment, form: str, value: int, comment: str = "") -> TrainingAnswer:
    return TrainingAnswer.objects.create(
        municipality_id=enrolment.municipality_id,
        enrolment=enrolment,
        form=form,
        scores=dict.fromkeys(training_forms.items_of(form), value),
        comment=comment,
    )


def link_path(message) -> str:
    [link] = message.links()
    return urlsplit(link).path


@db
@pytest.mark.smtp
def test_a_completed_run_sends_each_trainee_one_link_and_the_answer_is_saved_once(
    cast, smtp_server, committed
):
    run, [enrolment] = completed_run(cast)
    with committed():
        form, queued = training_forms.forms_send(run=run, by=None, now=timezone.now())
    assert form == "after" and queued.sent == 1
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [cast.helper_a.email]
    assert "Astrid" in mail.text and run.template.name in mail.subject
    path = link_path(mail)
    assert path.startswith("/kursskjema/")
    # Sending again sends nothing: one link per trainee and form.
    with committed():
        assert training_forms.forms_send(run=run, by=None, now=timezone.now())[1].sent == 0

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200
    assert str(training_forms.ITEM_LABELS["ready_to_start"]) in page.content.decode()
    token = browser.cookies["csrftoken"].value
    # One question left out: refused with the question named, nothing saved.
    data = dict.fromkeys(training_forms.items_of("after"), "4")
    partial = {**data, "recommend": "", "csrfmiddlewaretoken": token}
    refused = browser.post(path, partial)
    assert refused.status_code == 200
    assert str(training_forms.ITEM_LABELS["recommend"]) in refused.content.decode()
    assert not TrainingAnswer.objects.exists()
    done = browser.post(path, {**data, "comment": " Bra kurs ", "csrfmiddlewaretoken": token})
    assert done.status_code == 200
    saved = TrainingAnswer.objects.get()
    assert saved.enrolment == enrolment and saved.form == "after" and saved.comment == "Bra kurs"
    assert saved.scores == dict.fromkeys(training_forms.items_of("after"), 4)
    # The link works once.
    assert browser.post(path, {**data, "csrfmiddlewaretoken": token}).status_code == 409
    assert TrainingAnswer.objects.count() == 1
    assert TrainingFormLink.objects.get().used_at is not None


@db
def test_an_unknown_token_is_404_and_a_before_form_goes_to_the_enrolled_before_the_start(cast):
    assert Client().get("/kursskjema/not-a-token/").status_code == 404
    run = cast.run_a
    today = timezone.localdate()
    run.starts_on, run.ends_on, run.status = (
        today + dt.timedelta(days=5),
        today + dt.timedelta(days=7),
        RunStatus.PLANNED,
    )
    run.save()
    assert training_forms.due_form(run, today) == "before"
    assert training_forms.due_form(run, today - dt.timedelta(days=30)) is None
    assert training_forms.forms_due(now=timezone.now()) == {"sent": 1}
    assert TrainingFormLink.objects.get().form == "before"
    # A second tick sends nothing more.
    assert training_forms.forms_due(now=timezone.now()) == {"sent": 0}


@db
def test_an_answer_cannot_be_changed_in_the_database(cast):
    _run, [enrolment] = completed_run(cast)
    saved = answer_all(enrolment, "after", 3)
    with pytest.raises(DatabaseError), transaction.atomic():
        TrainingAnswer.objects.filter(pk=saved.pk).update(comment="endret")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TrainingAnswer._meta.db_table}")  # noqa: S608
    assert TrainingAnswer.objects.get().comment == ""


# --- the pages and the API ------------------------------------------------------------------------


def five_answered(cast):
    run, enrolments = completed_run(cast, trainees=4)
    for n, e in enumerate(enrolments):
        answer_all(e, "before", 2)
        answer_all(e, "after", 4 if n % 2 else 5, comment=f"Kommentar {n}")
    return run, enrolments


@db
def test_the_run_page_shows_all_four_levels_and_hides_fewer_than_five(cast):
    run, enrolments = completed_run(cast, trainees=2)
    for e in enrolments:
        answer_all(e, "before", 2)
        answer_all(e, "after", 4, comment="Hemmelig")
    url = reverse("web:support_run_evaluation", args=[run.pk])
    page = signed_in(cast.coordinator_a).get(url).content.decode()
    for heading in ("1. Reaction", "2. Learning", "3. Behaviour", "4. Results"):
        assert heading in page
    assert "&lt;5" in page and "Hemmelig" not in page
    found = report(evaluation([run.pk], timezone.localdate()))
    assert found["reaction"]["answered"] == "<5"
    assert {row["mean"] for row in found["reaction"]["items"]} == {"<5"}
    assert found["learning"]["change"] == "<5" and found["reaction"]["comments"] == []


@db
def test_with_five_answers_the_means_and_the_paired_change_show(cast):
    run, _enrolments = five_answered(cast)
    found = report(evaluation([run.pk], timezone.localdate()))
    assert found["reaction"]["answered"] == 5
    # 5, 4, 5, 4, 5 → 4.6.
    assert {row["mean"] for row in found["reaction"]["items"]} == {4.6}
    assert found["learning"]["pairs"] == 5
    # Before 2, after 5/4 on each item: per trainee +3, +2, +3, +2, +3 → 2.6.
    assert found["learning"]["change"] == 2.6
    assert found["reaction"]["comments"] == [f"Kommentar {n}" for n in range(5)]
    page = signed_in(cast.provider_user).get(reverse("web:support_run_evaluation", args=[run.pk]))
    assert page.status_code == 200 and "Kommentar 3" in page.content.decode()


@db
def test_results_come_from_the_pairings_the_trainees_carried(cast):
    run, enrolments = five_answered(cast)
    today = timezone.localdate()
    for e in enrolments:
        f.make_active(e.helper)
        Qualification.objects.create(
            helper=e.helper,
            municipality=cast.a,
            programme=cast.programme_a,
            enrolment=e,
            template=run.template,
            qualified_on=today - dt.timedelta(days=300),
        )
        helper = roomy(e.helper)
        made = pairing(
            cast.programme_a,
            helper,
            confirmed_days_ago=290,
            started_days_ago=280,
            ended_days_ago=10,
        )
        review(made, kind="start", on=today - dt.timedelta(days=280), activity_minutes=60)
        review(made, kind="end", on=today - dt.timedelta(days=10), activity_minutes=150)
    found = report(evaluation([run.pk], today))
    assert found["results"]["participants"] == 5 and found["results"]["ended"] == 5
    assert found["results"]["goal_reached"] == 5 and found["results"]["goal_reached_share"] == 100
    assert found["results"]["measured"] == 5 and found["results"]["minutes_change"] == 90
    assert found["behaviour"]["qualified"] == 5


def evaluation_url(run) -> str:
    return reverse("web:support_run_evaluation", args=[run.pk])


@db
def test_the_provider_page_covers_its_runs_and_managers_see_only_their_own(cast):
    run, _enrolments = five_answered(cast)
    other_run = f.CourseRunFactory(
        template=run.template,
        programme=cast.programme_b,
        starts_on=run.starts_on,
        ends_on=run.ends_on,
    )
    for _n in range(5):
        e = f.EnrolmentFactory(run=other_run, helper=f.HelperFactory(programme=cast.programme_b))
        answer_all(e, "after", 1)
    url = reverse("web:support_provider_evaluation", args=[cast.provider.pk])
    # The provider sees both runs: 5 × 4.6 and 5 × 1 → 2.8.
    staff = signed_in(cast.provider_user).get(url)
    assert staff.status_code == 200 and "2.8" in staff.content.decode().replace(",", ".")
    body = signed_in(cast.coordinator_a).get(url).content.decode().replace(",", ".")
    assert "4.6" in body and evaluation_url(other_run) not in body
    b_body = signed_in(cast.coordinator_b).get(url).content.decode()
    assert "Kommentar" not in b_body and evaluation_url(run) not in b_body
    assert evaluation_url(other_run) in b_body
    assert signed_in(cast.analyst).get(url).status_code == 403
    assert signed_in(cast.contact_user_a).get(url).status_code == 403
    api_url = f"/api/v1/course-providers/{cast.provider.pk}/evaluation/"
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(cast.provider_user)
    body = client.get(api_url).json()
    assert body["runs"] == 2 and body["reaction"]["answered"] == 10


@db
def test_the_api_gives_the_run_evaluation_as_the_page(cast, api):
    run, _enrolments = five_answered(cast)
    got = api(cast.coordinator_a).get(f"/api/v1/course-runs/{run.pk}/evaluation/")
    assert got.status_code == 200
    assert got.json() == report(evaluation([run.pk], timezone.localdate()))
    assert (
        api(cast.coordinator_b).get(f"/api/v1/course-runs/{run.pk}/evaluation/").status_code == 404
    )
    assert api(cast.analyst).get(f"/api/v1/course-runs/{run.pk}/evaluation/").status_code == 403


@db
def test_the_manager_sends_the_due_form_from_the_page(cast, committed):
    run, _enrolments = completed_run(cast, trainees=1)
    url = reverse("web:support_run_forms_send", args=[run.pk])
    with committed():
        sent = signed_in(cast.coordinator_a).post(url)
    assert sent.status_code == 302
    assert TrainingFormLink.objects.filter(form="after").count() == 2
    assert signed_in(cast.coordinator_b).post(url).status_code == 404
    assert signed_in(cast.referrer_a).post(url).status_code == 403


@db
def test_the_evaluation_takes_a_fixed_number_of_queries(cast):
    run, enrolments = five_answered(cast)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            evaluation([run.pk], timezone.localdate())
        return len(queries)

    few = count()
    for _n in range(6):
        e = f.EnrolmentFactory(run=run, helper=f.HelperFactory(programme=cast.programme_a))
        answer_all(e, "before", 3)
        answer_all(e, "after", 3)
    assert count() == few


@db
def test_a_signed_in_trainee_answers_their_own_due_form_once(cast, committed):
    run, [enrolment] = completed_run(cast)
    other = f.EnrolmentFactory(run=run, helper=cast.helper_a2, status=EnrolmentStatus.COMPLETED)
    with committed():
        training_forms.forms_send(run=run, by=None, now=timezone.now())
    link = TrainingFormLink.objects.get(enrolment=enrolment)
    client = signed_in(cast.contact_user_a)
    home = client.get(reverse("web:supervision_home")).content.decode()
    url = reverse("web:support_own_training_form", args=[enrolment.pk, "after"])
    assert url in home
    assert client.get(url).status_code == 200
    # Not their enrolment: not found.
    other_url = reverse("web:support_own_training_form", args=[other.pk, "after"])
    assert client.get(other_url).status_code == 404
    assert signed_in(cast.coordinator_a).get(url).status_code == 404
    data = dict.fromkeys(training_forms.items_of("after"), "3")
    # The before form is not due: refused, nothing saved.
    before_url = reverse("web:support_own_training_form", args=[enrolment.pk, "before"])
    assert "k-form" not in client.post(before_url, data).content.decode()
    assert not TrainingAnswer.objects.exists()
    done = client.post(url, data)
    assert done.status_code == 302
    assert TrainingAnswer.objects.get().scores == dict.fromkeys(data, 3)
    # Once: the page no longer takes it, the home page no longer lists it, the link is closed.
    client.post(url, dict.fromkeys(data, "5"))
    assert TrainingAnswer.objects.get().scores == dict.fromkeys(data, 3)
    assert url not in client.get(reverse("web:supervision_home")).content.decode()
    assert training_forms.LINKS.state(link) == "closed"


@db
def test_a_comment_with_contact_details_is_refused_and_the_answers_are_kept(cast, committed):
    """The course provider reads the comments: a phone number or an e-mail address is refused
    with the reason, and the page shows the trainee's answers and comment again to mend."""
    run, [enrolment] = completed_run(cast)
    with committed():
        training_forms.forms_send(run=run, by=None, now=timezone.now())
    link = TrainingFormLink.objects.get(enrolment=enrolment)
    client = signed_in(cast.contact_user_a)
    url = reverse("web:support_own_training_form", args=[enrolment.pk, "after"])
    page = client.get(url).content.decode()
    assert "Leave out names, contact details" in page
    items = training_forms.items_of("after")
    data = {**dict.fromkeys(items, "4"), items[0]: "2", "comment": "Ring meg på 912 34 567"}
    refused = client.post(url, data).content.decode()
    assert "The course provider reads the comments: leave out phone numbers." in refused
    assert not TrainingAnswer.objects.exists()
    assert "Ring meg på 912 34 567</textarea>" in refused
    assert f'name="{items[0]}" value="2" required checked' in refused
    assert f'name="{items[0]}" value="4" required>' in refused
    assert f'name="{items[1]}" value="4" required checked' in refused
    done = client.post(url, {**data, "comment": "Ring gjerne koordinatoren"})
    assert done.status_code == 302
    assert TrainingAnswer.objects.get().comment == "Ring gjerne koordinatoren"
    assert training_forms.LINKS.state(link) == "closed"
