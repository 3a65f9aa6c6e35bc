"""A participant confirms what a helper recorded, through a link e-mailed to them, without
signing in: one mechanism for every kind of confirmation (a pair's sessions in followup, a
group meeting's attendance in groups).

Each kind keeps its own row (a subclass of :class:`ConfirmationLinkBase`: what is to be
confirmed, plus the link's recipient, expiry and when it was used) and declares a
:class:`ConfirmationLinks` with its outbox purpose, templates and page. What is shared:

* the recipient — the participant, or a minor's guardian (:func:`recipient_for`);
* the send limit (:mod:`kobling.core.send_limits`), counted per subject (a pair, a course) and
  per address in the municipality, under the caller's row lock (:meth:`ConfirmationLinks.
  refuse_over_limit`);
* the link: the outbox's signed single-use link (purpose = the kind's), issued with the row,
  and its e-mail queued after commit (:meth:`ConfirmationLinks.issue`); the purpose's *settle*
  cancels an e-mail whose link was used or closed before it went out, and *render* fills the
  kind's templates (at least once);
* the link's state (open, used, expired — or closed by the kind's own rule) and its use, in one
  transaction under the row's lock, audited as done through the link (:meth:`ConfirmationLinks.
  use`);
* the page's shape (:func:`confirmation_page`): GET shows, POST answers (e-mail scanners open
  links, so a GET never changes anything); a used link 409, an expired or closed one 410, an
  unknown token 404;
* issuing a link for each new entry of a batch (:meth:`ConfirmationLinks.issue_each`: no
  address or over the limit is reported by name, never silently skipped) and writing the
  participant's answer once onto the entry (:meth:`ConfirmationLinks.answer_entry`: the
  entry's ``confirmation`` and ``answered_at``, which its row guard lets change once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kobling.core import outbox
from kobling.core.choices import ParticipantAnswer
from kobling.core.models import OutboxMessage
from kobling.core.send_limits import SendLimit
from kobling.tenancy.audit import audit_context, audit_log, current_context
from kobling.tenancy.choices import AuditAction

LinkState = outbox.AnswerState
T = TypeVar("T")


class LinkClosedError(outbox.AnswerClosedError):
    """The confirmation link was used, has expired or no longer applies."""


class ConfirmationLinkBase(models.Model):
    """A request, e-mailed to the participant (or a minor's guardian), to confirm something
    without signing in. Its e-mail and signed single-use link live in the outbox (subject
    ``<purpose>:<id>``); the row keeps the recipient, the expiry and when it was used."""

    municipality = models.ForeignKey(
        "tenancy.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    recipient = models.EmailField(_("sent to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


def recipient_for(participant: Any) -> str:
    """The participant's e-mail; for a minor the guardian's (the participant's own when no
    guardian e-mail is known). Empty when there is none."""
    if participant.is_minor and participant.guardian_email:
        return participant.guardian_email
    return participant.email or ""


@dataclass
class LinksQueued:
    """What one batch of entries sent: links queued, and whom none could go to (names, for
    whoever recorded the entries)."""

    sent: int = 0
    no_address: list[str] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)


class ConfirmationLinks:
    """One kind of confirmation link: its row model, outbox purpose, page and e-mail.

    ``context(link)`` gives the e-mail's template context (first names, counts — never health
    details); ``still_open(link)`` may close a link by the kind's own rule (the thing to confirm
    was corrected since)."""

    def __init__(
        self,
        *,
        purpose: str,
        model: type[ConfirmationLinkBase],
        label: Any,
        url_name: str,
        subject_template: str,
        body_template: str,
        context: Callable[[Any], dict[str, Any]],
        related: tuple[str, ...] = (),
        valid_days: int = 14,
        limit: SendLimit | None = None,
        via: str = "confirmation link",
        still_open: Callable[[Any], bool] | None = None,
    ) -> None:
        self.purpose = purpose
        self.model = model
        self.url_name = url_name
        self.subject_template = subject_template
        self.body_template = body_template
        self.context = context
        self.related = related
        self.valid_days = valid_days
        self.limit = limit or SendLimit(count=3, window=dt.timedelta(hours=24))
        self.via = via
        self.still_open = still_open
        outbox.purpose_register(
            outbox.Purpose(
                name=purpose,
                label=label,
                render=self._render,
                settle=self._settle,
                delivery=outbox.Delivery.AT_LEAST_ONCE,
            )
        )

    # --- the link ------------------------------------------------------------------------------

    def subject(self, link: ConfirmationLinkBase) -> str:
        return outbox.subject_key(self.purpose, link.pk)

    def url(self, token: str) -> str:
        return settings.KOBLING_BASE_URL.rstrip("/") + reverse(self.url_name, args=[token])

    def from_token(self, token: str) -> Any | None:
        """The link row a token points to, or ``None`` when the token is unknown."""
        resolved = outbox.link_resolve(token, self.purpose)
        if resolved.link is None:
            return None
        return (
            self.model.objects.select_related("municipality", *self.related)
            .filter(pk=resolved.subject_id)
            .first()
        )

    def state(self, link: ConfirmationLinkBase, *, now: dt.datetime | None = None) -> LinkState:
        now = now or timezone.now()
        if link.used_at is not None:
            return LinkState.USED
        signed = outbox.link_live(purpose=self.purpose, subject=self.subject(link))
        if now >= link.expires_at or signed is None:
            return LinkState.EXPIRED
        if self.still_open is not None and not self.still_open(link):
            return LinkState.CLOSED
        return LinkState.OPEN

    def refuse_over_limit(
        self,
        *,
        owner: Q,
        recipient: str,
        municipality_id: int,
        now: dt.datetime,
    ) -> dt.datetime | None:
        """When the next link may go to this subject (``owner``: its rows) or address, or
        ``None`` when one may go now. Call under the subject's row lock, so two requests at once
        cannot both pass. Only the municipality's own links count: the answer must not tell
        anyone what another municipality sent."""
        sent = self.model.objects.filter(
            owner | Q(recipient__iexact=recipient),
            municipality_id=municipality_id,
            created_at__gt=now - self.limit.window,
        ).values_list("created_at", flat=True)
        return self.limit.next_allowed(sent, now=now)

    def issue(
        self,
        *,
        recipient: str,
        municipality_id: int,
        by: Any,
        now: dt.datetime,
        audit: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Any:
        """Make the link row (``fields``: what it is about), its signed link and its e-mail,
        queued to go after commit. Audited as made by ``by``."""
        with transaction.atomic():
            link = self.model.objects.create(
                municipality_id=municipality_id,
                recipient=recipient,
                created_by=by
                if by is not None and getattr(by, "is_authenticated", False)
                else None,
                created_at=now,
                expires_at=now + dt.timedelta(days=self.valid_days),
                **fields,
            )
            audit_log(user=by, action=AuditAction.CREATE, obj=link, changes=audit or {})
            outbox.link_issue(
                purpose=self.purpose,
                subject=self.subject(link),
                municipality_id=municipality_id,
                expires_at=link.expires_at,
                now=now,
            )
            outbox.message_queue(
                purpose=self.purpose,
                subject=self.subject(link),
                recipient=recipient,
                municipality_id=municipality_id,
                template=self.body_template,
                now=now,
            )
        return link

    def issue_each(
        self,
        *,
        entries: Iterable[tuple[Any, Any]],
        municipality_id: int,
        by: Any,
        now: dt.datetime,
        owner: Callable[[Any], Q],
        fields: Callable[[Any, Any], dict[str, Any]],
        audit: Callable[[Any, Any], dict[str, Any]],
    ) -> LinksQueued:
        """A link for each (entry, course) — the courses locked by the caller (the send limit
        is counted under that lock), each with its ``participant``. ``owner(course)`` selects
        the rows the limit counts per course; ``fields(entry, course)`` are the link row's own
        fields. Without an address, or over the limit, no link: the name is reported."""
        queued = LinksQueued()
        for entry, course in entries:
            recipient = recipient_for(course.participant)
            name = course.participant.full_name
            if not recipient:
                queued.no_address.append(name)
                continue
            over = self.refuse_over_limit(
                owner=owner(course),
                recipient=recipient,
                municipality_id=municipality_id,
                now=now,
            )
            if over is not None:
                queued.over_limit.append(name)
                continue
            self.issue(
                recipient=recipient,
                municipality_id=municipality_id,
                by=by,
                now=now,
                audit=audit(entry, course),
                **fields(entry, course),
            )
            queued.sent += 1
        return queued

    def answer_entry(
        self,
        *,
        link: ConfirmationLinkBase,
        model: type[models.Model],
        entry_id: int,
        confirmed: bool,
        key: str,
        now: dt.datetime | None = None,
    ) -> Any:
        """Write the participant's answer once onto the entry (``model`` row ``entry_id``):
        confirmed, or disputed — which changes nothing else of the entry. The link is used up;
        the audit names the entry under ``key``. Raises :class:`LinkClosedError` when the link
        no longer works; on any error nothing changes."""
        now = now or timezone.now()

        def answer(locked: Any) -> Any:
            entry = model._default_manager.select_for_update().get(pk=entry_id)
            if entry.municipality_id != locked.municipality_id:
                raise ValidationError(_("This link does not belong to this entry."))
            entry.confirmation = (
                ParticipantAnswer.CONFIRMED if confirmed else ParticipantAnswer.DISPUTED
            )
            entry.answered_at = now
            entry.save(update_fields=["confirmation", "answered_at"])
            audit_log(
                user=None,
                action=AuditAction.UPDATE,
                obj=entry,
                changes={"confirmation": entry.confirmation},
                via=self.via,
            )
            return entry

        return self.use(
            link=link,
            answer=answer,
            changes=lambda entry: {key: entry.pk, "confirmation": entry.confirmation},
            now=now,
        )

    def use(
        self,
        *,
        link: ConfirmationLinkBase,
        answer: Callable[[Any], T],
        changes: Callable[[T], dict[str, Any]],
        now: dt.datetime | None = None,
    ) -> T:
        """Apply the participant's ``answer`` (a function of the locked row) and use the link
        up, in one transaction; audited as done through the link. Raises
        :class:`LinkClosedError` when the link no longer works; on any error nothing changes."""
        now = now or timezone.now()
        with (
            audit_context(via=self.via, ip_address=current_context().ip_address),
            transaction.atomic(),
        ):
            locked = self.model.objects.select_for_update().get(pk=link.pk)
            state = self.state(locked, now=now)
            if state != LinkState.OPEN:
                raise LinkClosedError(state)
            result = answer(locked)
            signed = outbox.link_live(purpose=self.purpose, subject=self.subject(locked))
            if signed is not None:
                outbox.link_use(link=signed, now=now)
            locked.used_at = now
            locked.save(update_fields=["used_at"])
            audit_log(
                user=None,
                action=AuditAction.UPDATE,
                obj=locked,
                changes={"used_at": now, **changes(result)},
                via=self.via,
            )
        return result

    # --- the e-mail (through the outbox) ------------------------------------------------------

    def message(self, link: Any, *, token: str) -> EmailMultiAlternatives:
        """Plain text, in bokmål, from the kind's templates; the link and when it expires."""
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "municipality": link.municipality.name,
                "link": self.url(token),
                "expires_on": timezone.localtime(link.expires_at).date(),
                **self.context(link),
            }
            subject = " ".join(render_to_string(self.subject_template, context).split())
            body = render_to_string(self.body_template, context)
        host = urlsplit(settings.KOBLING_BASE_URL).hostname or "kobling.local"
        contact = link.municipality.contact_email
        return EmailMultiAlternatives(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[link.recipient],
            reply_to=[contact] if contact else None,
            headers={
                "Message-ID": f"<{self.purpose}-{link.pk}.{link.created_at:%Y%m%d%H%M%S}@{host}>",
                "Auto-Submitted": "auto-generated",
            },
        )

    def _link_of(self, message: OutboxMessage) -> Any:
        return self.model.objects.select_related("municipality", *self.related).get(
            pk=message.subject_id
        )

    def _settle(self, message: OutboxMessage, now: dt.datetime) -> str | None:
        """A link used, expired or closed before its e-mail went out is not sent any more."""
        return (
            None if self.state(self._link_of(message), now=now) == LinkState.OPEN else "cancelled"
        )

    def _render(self, message: OutboxMessage, now: dt.datetime) -> EmailMultiAlternatives:
        link = self._link_of(message)
        signed = outbox.link_live(purpose=self.purpose, subject=message.subject_key)
        return self.message(link, token=outbox.link_token(signed))

    def send(
        self, *, link_id: int, now: dt.datetime | None = None
    ) -> tuple[str, dt.timedelta | None]:
        """Send the link's e-mail now, through the outbox: (outcome, retry in)."""
        message = OutboxMessage.objects.filter(
            purpose=self.purpose, subject_key=outbox.subject_key(self.purpose, link_id)
        ).first()
        if message is None:
            return "skipped", None
        result = outbox.message_send(message_id=message.pk, now=now)
        return result.outcome, result.retry_in


def confirmation_page(
    request: HttpRequest,
    token: str,
    links: ConfirmationLinks,
    *,
    templates: tuple[str, str, str],
    context: Callable[[Any], dict[str, Any]],
    answer: Callable[[Any, HttpRequest], Any],
    error_text: Callable[[ValidationError], str],
) -> HttpResponse:
    """The page a confirmation link opens, without signing in: ``templates`` are (the form,
    closed, done). GET shows ``context(link)``; POST calls ``answer(link, request)`` — its
    result goes to the done page as ``answered``; a ``ValidationError`` shows on the form. A
    used link says so (409), an expired or closed one too (410); an unknown token is 404."""
    form_template, closed_template, done_template = templates
    link = links.from_token(token)
    if link is None:
        raise Http404
    page: dict[str, Any] = {"link": link}
    state = links.state(link)
    if state != LinkState.OPEN:
        page["state"] = state
        status = 409 if state == LinkState.USED else 410
        return render(request, closed_template, page, status=status)
    page.update(context(link))
    if request.method == "POST":
        try:
            page["answered"] = answer(link, request)
        except LinkClosedError as exc:
            page["state"] = exc.state
            return render(request, closed_template, page, status=409)
        except ValidationError as exc:
            page["error"] = error_text(exc)
        else:
            return render(request, done_template, page)
    return render(request, form_template, page)
