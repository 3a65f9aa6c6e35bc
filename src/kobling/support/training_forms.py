"""The trainee's short forms about a course run (Kirkpatrick levels 1 and 2), answered once by a
signed single-use link e-mailed through the outbox — the trainee needs no sign-in.

* **Before** (learning items only): sent to each enrolled trainee from 14 days before the run
  starts until it starts (:data:`BEFORE_WINDOW`).
* **After** (the reaction items, the same learning items, a comment): sent to each trainee who
  completed, once the run is completed, for :data:`AFTER_WINDOW` after its end.

The scheduler job ``support.training_forms`` (every 6 hours) sends what is due; the run's
evaluation page has a button that does the same for one run at once. One link per trainee and
form, never a second one automatically. The items and the pure sums are
:mod:`kobling.support.kirkpatrick`; the mechanism is the one participants' confirmations use
(:mod:`kobling.core.confirmation_links`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kobling.core import confirmation_links
from kobling.core.send_limits import SendLimit
from kobling.courses.choices import EnrolmentStatus, RunStatus
from kobling.courses.models import CourseRun, Enrolment
from kobling.lib.identifiers import direct_identifiers
from kobling.support.choices import TrainingForm
from kobling.support.kirkpatrick import LEARNING_ITEMS, REACTION_ITEMS, SCALE
from kobling.support.models import TrainingAnswer, TrainingFormLink
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction

PURPOSE = "training-form"
LINK_VALID_DAYS = 21
BEFORE_WINDOW = dt.timedelta(days=14)
AFTER_WINDOW = dt.timedelta(days=60)
VIA_LINK = "training form link"

LinksQueued = confirmation_links.LinksQueued
LinkClosedError = confirmation_links.LinkClosedError

ITEM_LABELS = {
    "overall": gettext_lazy("Overall, how good was the course?"),
    "useful": gettext_lazy("How useful will the course be in your work as a helper?"),
    "ready_to_start": gettext_lazy("How ready do you feel to start with your first participant?"),
    "recommend": gettext_lazy("How likely is it that you would recommend the course to others?"),
    "knows_role": gettext_lazy("I know what my role as a helper is, and where it ends."),
    "first_meeting": gettext_lazy("I feel confident about the first meeting with a participant."),
    "motivating": gettext_lazy("I know how to support a participant who loses motivation."),
    "when_to_ask": gettext_lazy("I know when and whom to ask for help (coordinator, health care)."),
}
SCALE_LABELS = {
    1: gettext_lazy("1 – not at all"),
    5: gettext_lazy("5 – very much"),
}


def items_of(form: str) -> tuple[str, ...]:
    return LEARNING_ITEMS if form == TrainingForm.BEFORE else REACTION_ITEMS + LEARNING_ITEMS


def _email_context(link: TrainingFormLink) -> dict[str, Any]:
    run = link.enrolment.run
    return {
        "first_name": link.enrolment.helper.first_name,
        "course": run.template.name,
        "provider": run.provider.name,
        "before": link.form == TrainingForm.BEFORE,
    }


def _still_open(link: TrainingFormLink) -> bool:
    return not TrainingAnswer.objects.filter(
        enrolment_id=link.enrolment_id, form=link.form
    ).exists()


LINKS = confirmation_links.ConfirmationLinks(
    purpose=PURPOSE,
    model=TrainingFormLink,
    label=gettext_lazy("Course evaluation form"),
    url_name="web:support_training_form",
    subject_template="support/emails/training_form_subject.txt",
    body_template="support/emails/training_form.txt",
    context=_email_context,
    related=("enrolment__helper", "enrolment__run__template", "enrolment__run__provider"),
    valid_days=LINK_VALID_DAYS,
    limit=SendLimit(count=2, window=dt.timedelta(hours=24)),
    via=VIA_LINK,
    still_open=_still_open,
)


def due_form(run: CourseRun, today: dt.date) -> str | None:
    """Which form is due for the run today: before (from 14 days before the start until the
    start), after (completed, until 60 days after the end), or none."""
    if run.status == RunStatus.CANCELLED:
        return None
    if run.status == RunStatus.COMPLETED:
        return TrainingForm.AFTER if today <= run.ends_on + AFTER_WINDOW else None
    if run.starts_on - BEFORE_WINDOW <= today <= run.starts_on:
        return TrainingForm.BEFORE
    return None


def forms_send(*, run: CourseRun, by: Any, now: dt.datetime) -> tuple[str | None, LinksQueued]:
    """Send the form due for ``run`` to each trainee who has neither a link to it nor an answer
    (the e-mails go after commit). Returns the form and what was queued."""
    form = due_form(run, timezone.localdate(now))
    if form is None:
        return None, LinksQueued()
    status = EnrolmentStatus.ENROLLED if form == TrainingForm.BEFORE else EnrolmentStatus.COMPLETED
    with transaction.atomic():
        CourseRun.objects.select_for_update().filter(pk=run.pk).first()
        enrolments = list(
            Enrolment.objects.filter(run=run, status=status)
            .exclude(training_form_links__form=form)
            .exclude(training_answers__form=form)
            .select_related("helper")
            .order_by("pk")
        )
        queued = LinksQueued()
        for enrolment in enrolments:
            recipient = enrolment.helper.email
            if not recipient:
                queued.no_address.append(enrolment.helper.full_name)
                continue
            over = LINKS.refuse_over_limit(
                owner=Q(enrolment_id=enrolment.pk),
                recipient=recipient,
                municipality_id=enrolment.municipality_id,
                now=now,
            )
            if over is not None:
                queued.over_limit.append(enrolment.helper.full_name)
                continue
            LINKS.issue(
                recipient=recipient,
                municipality_id=enrolment.municipality_id,
                by=by,
                now=now,
                audit={"enrolment": enrolment.pk, "form": form},
                enrolment=enrolment,
                form=form,
            )
            queued.sent += 1
    return form, queued


def forms_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduler's job: send every run's due form (runs near their start or recently
    completed; a bounded set)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    runs = CourseRun.objects.filter(
        Q(
            status__in=(RunStatus.PLANNED, RunStatus.RUNNING),
            starts_on__range=(today, today + BEFORE_WINDOW),
        )
        | Q(status=RunStatus.COMPLETED, ends_on__gte=today - AFTER_WINDOW)
    ).order_by("pk")
    sent = 0
    for run in runs:
        sent += forms_send(run=run, by=None, now=now)[1].sent
    return {"sent": sent}


def parse_scores(form: str, data: Any) -> dict[str, int]:
    """Every item of the form, each a whole number 1–5 (the page's and the API's check)."""
    scores: dict[str, int] = {}
    missing = []
    for item in items_of(form):
        raw = data.get(item)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = None
        if value not in SCALE:
            missing.append(str(ITEM_LABELS[item]))
        else:
            scores[item] = value
    if missing:
        raise ValidationError(
            _("Answer every question with a number from 1 to 5: %(items)s")
            % {"items": " · ".join(missing)}
        )
    return scores


IDENTIFIER_NAMES = {
    "national_id": gettext_lazy("identity numbers"),
    "phone": gettext_lazy("phone numbers"),
    "email": gettext_lazy("e-mail addresses"),
}


def _clean_comment(form: str, comment: str) -> str:
    """The comment as saved (none on the before form): at most 1000 characters, and without
    identity numbers, phone numbers or e-mail addresses, since the course provider and the
    managers read it."""
    comment = "" if form == TrainingForm.BEFORE else (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError(_("The comment can be at most 1000 characters."))
    found = direct_identifiers(comment)
    if found:
        raise ValidationError(
            {
                "comment": _("The course provider reads the comments: leave out %(what)s.")
                % {"what": ", ".join(str(IDENTIFIER_NAMES[kind]) for kind in found)}
            }
        )
    return comment


def _save(
    *, enrolment_id: int, municipality_id: int, form: str, scores: dict, comment: str, now: Any
) -> TrainingAnswer:
    """The one place an answer is written (a savepoint: a second answer raises IntegrityError
    without spoiling the caller's transaction)."""
    with transaction.atomic():
        return TrainingAnswer.objects.create(
            municipality_id=municipality_id,
            enrolment_id=enrolment_id,
            form=form,
            scores=scores,
            comment=comment,
            answered_at=now,
        )


def form_answer(
    *,
    link: TrainingFormLink,
    scores: dict[str, int],
    comment: str = "",
    now: dt.datetime | None = None,
) -> TrainingAnswer:
    """The trainee's answer through the link: saved once, the link used up. Raises
    :class:`LinkClosedError` for a used or expired link or a form already answered."""
    now = now or timezone.now()
    comment = _clean_comment(link.form, comment)

    def answer(locked: TrainingFormLink) -> TrainingAnswer:
        try:
            return _save(
                enrolment_id=locked.enrolment_id,
                municipality_id=locked.municipality_id,
                form=locked.form,
                scores=scores,
                comment=comment,
                now=now,
            )
        except IntegrityError as exc:
            raise LinkClosedError(confirmation_links.LinkState.CLOSED) from exc

    return LINKS.use(
        link=link,
        answer=answer,
        changes=lambda answer: {"answer": answer.pk, "form": answer.form},
        now=now,
    )


def open_forms(user: Any, today: dt.date) -> list[tuple[Enrolment, str]]:
    """The forms a signed-in helper may answer now on their own pages: for each of their own
    enrolments, the run's due form when they have not answered it (two queries)."""
    enrolments = list(
        Enrolment.objects.filter(helper__user=user)
        .exclude(run__status=RunStatus.CANCELLED)
        .select_related("run__template", "run__provider")
        .order_by("-run__starts_on", "pk")
    )
    answered = set(
        TrainingAnswer.objects.filter(enrolment__in=enrolments).values_list("enrolment_id", "form")
    )
    found = []
    for enrolment in enrolments:
        form = due_form(enrolment.run, today)
        if form is None or (enrolment.pk, form) in answered:
            continue
        wanted = (
            EnrolmentStatus.ENROLLED if form == TrainingForm.BEFORE else EnrolmentStatus.COMPLETED
        )
        if enrolment.status == wanted:
            found.append((enrolment, form))
    return found


def own_answer(
    *,
    enrolment: Enrolment,
    form: str,
    by: Any,
    scores: dict[str, int],
    comment: str = "",
    now: dt.datetime | None = None,
) -> TrainingAnswer:
    """A signed-in helper answers their own form on their pages (instead of the link; an open
    link to the same form closes, as the form is answered). Only their own enrolment and only
    the form due now; once. Audited."""
    now = now or timezone.now()
    if enrolment.helper.user_id is None or enrolment.helper.user_id != by.pk:
        raise ValidationError(_("This is not your course."))
    due = open_forms(by, timezone.localdate(now))
    if not any(e.pk == enrolment.pk and f == form for e, f in due):
        raise ValidationError(_("This form cannot be answered now, or is already answered."))
    comment = _clean_comment(form, comment)
    try:
        saved = _save(
            enrolment_id=enrolment.pk,
            municipality_id=enrolment.municipality_id,
            form=form,
            scores=scores,
            comment=comment,
            now=now,
        )
    except IntegrityError as exc:
        raise ValidationError(_("This form has already been answered.")) from exc
    audit_log(user=by, action=AuditAction.CREATE, obj=saved, changes={"form": form})
    return saved


def form_of(link: TrainingFormLink) -> dict[str, Any]:
    """What the page shows: the first name, the course, and the questions."""
    return {
        **_email_context(link),
        "items": [(item, ITEM_LABELS[item]) for item in items_of(link.form)],
        "scale": SCALE,
        "scale_labels": SCALE_LABELS,
    }
