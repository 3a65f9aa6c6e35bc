"""Who may read a pairing's sessions and report, and who may log them — one set of rules for the
session list, a session, the referrer's report and their pages.

The rules (issue 4, "Confirmation to the referrer"):

- A role that can never see pairings (national analyst, course provider, no membership) → 403,
  as everywhere else in the product.
- Anyone outside the pairing's municipality → 404: they cannot learn that it exists.
- Inside the municipality: coordinators and municipal admins may read and log; the pair's own
  training contact may read and log; the referrer who made the referral may read **only while
  the participant's consent to share progress with the referrer is in force** — otherwise 403
  with the reason (they know the pairing exists: they made the referral); everyone else
  (another referrer, another training contact) → 404, as an outsider: a 403 told them that a
  pairing with this id exists in their municipality (found by the outside probe, issue 16).

Unlike ``Pairing.visibility_q`` (which simply hides a pairing from a referrer without consent,
so lists never show it), these lookups tell an insider *why* they are refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kobling.followup.models import Pairing, Session
from kobling.referrals.choices import ConsentScope
from kobling.referrals.models import Consent
from kobling.tenancy.choices import Role

# Why a referrer who made the referral is refused (``PermissionDenied.args[0]`` and the API's
# ``detail``); tests and callers may compare against these codes via ``denial_reason``.
NO_CONSENT = "no_consent"
CONSENT_WITHDRAWN = "consent_withdrawn"
NOT_YOUR_PAIRING = "not_your_pairing"


class ReportDenied(PermissionDenied):
    """403 with a reason the caller may show; ``code`` says which rule refused."""

    def __init__(self, message: Any, code: str) -> None:
        super().__init__(str(message))
        self.code = code


_LOG_ONLY = _lazy("Only the pair's training contact or a coordinator may log or change sessions.")


def _can_ever_see_pairings(user: Any) -> bool:
    return Pairing.visibility_q(user, "view") is not None


def _inside(user: Any, queryset: QuerySet, pk: Any) -> Any:
    """The row with ``pk`` in one of the user's municipalities, or 404."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404
    if not _can_ever_see_pairings(user):
        raise PermissionDenied
    try:
        obj = queryset.filter(municipality_id__in=sorted(user.municipality_ids())).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return obj


def sharing_consent_state(pairing: Any, *, today: Any = None) -> str | None:
    """``None`` when the participant's consent to share with the referrer is in force, else
    :data:`NO_CONSENT` or :data:`CONSENT_WITHDRAWN`."""
    today = today or timezone.localdate()
    # Unordered: the consents' default order (by referral) joins the referral table to sort
    # what ``any`` reads in any order.
    consents = list(
        Consent.objects.filter(
            referral_id=pairing.referral_id, scope=ConsentScope.SHARE_WITH_REFERRER
        )
        .order_by()
        .values_list("given_on", "withdrawn_on")
    )
    if any(given <= today and (gone is None or gone > today) for given, gone in consents):
        return None
    if any(gone is not None and gone <= today for _given, gone in consents):
        return CONSENT_WITHDRAWN
    return NO_CONSENT


def _consent_denial(obj: Any) -> ReportDenied | None:
    """For the referrer who made the referral of ``obj`` (a pairing or a course): ``None``
    while the person's consent to share is in force, else the 403 with the reason."""
    state = sharing_consent_state(obj)
    if state is None:
        return None
    if state == CONSENT_WITHDRAWN:
        return ReportDenied(
            _(
                "The participant has withdrawn their consent to share their progress with "
                "the referrer."
            ),
            CONSENT_WITHDRAWN,
        )
    return ReportDenied(
        _("The participant has not consented to share their progress with the referrer."),
        NO_CONSENT,
    )


def is_pair_contact(user: Any, pairing: Pairing) -> bool:
    return user.has_role(Role.TRAINING_CONTACT, pairing.municipality_id) and (
        pairing.helper.user_id == user.pk
    )


def made_the_referral(user: Any, obj: Any) -> bool:
    """``user`` is the referrer who made the referral of ``obj`` (a pairing or a course)."""
    return user.has_role(Role.REFERRER, obj.municipality_id) and obj.referral.referrer_id == user.pk


def knows_of(user: Any, pairing: Pairing) -> bool:
    """Whether ``user`` already knows that ``pairing`` exists: its municipality's managers, the
    pair's contact and the referrer who made the referral. To anyone else it is a 404."""
    return sees_session_details(user, pairing) or made_the_referral(user, pairing)


def _known(user: Any, pairing: Pairing) -> Pairing:
    if not knows_of(user, pairing):
        raise Http404
    return pairing


def denial(user: Any, pairing: Pairing) -> ReportDenied | None:
    """Why someone who knows of this pairing (:func:`knows_of`) may not read its sessions and
    report (``None``: they may): the referrer, without the participant's consent."""
    if sees_session_details(user, pairing):
        return None
    if made_the_referral(user, pairing):
        return _consent_denial(pairing)
    return ReportDenied(_("This is not one of your pairings."), NOT_YOUR_PAIRING)


def _pairings(queryset: QuerySet | None) -> QuerySet:
    base = queryset if queryset is not None else Pairing.objects.all()
    return base.select_related("helper", "referral")


def pairing_for_report(user: Any, pk: Any, *, queryset: QuerySet | None = None) -> Pairing:
    """The pairing whose sessions or referrer report ``user`` wants to read: 404 outside the
    municipality, :class:`ReportDenied` (403, with the reason) for insiders without the right.
    Pass ``queryset`` (of pairings) to add ``select_related`` for the page. Does not audit."""
    pairing = _known(user, _inside(user, _pairings(queryset), pk))
    refused = denial(user, pairing)
    if refused is not None:
        raise refused
    return pairing


def pairing_for_logging(user: Any, pk: Any, *, queryset: QuerySet | None = None) -> Pairing:
    """The pairing ``user`` wants to log a session on: managers of its municipality and the
    pair's own training contact. 404 outside the municipality, 403 for other insiders."""
    pairing = _known(user, _inside(user, _pairings(queryset), pk))
    if not sees_session_details(user, pairing):
        raise ReportDenied(_LOG_ONLY, NOT_YOUR_PAIRING)
    return pairing


def session_for(user: Any, pk: Any, *, action: str = "view") -> Session:
    """One session, by the same rules as its pairing: reading as :func:`pairing_for_report`,
    changing (correcting, confirming) as :func:`pairing_for_logging`."""
    session = _inside(
        user,
        Session.objects.select_related(
            "pairing__helper", "pairing__referral", "activity", "logged_by"
        ),
        pk,
    )
    pairing = _known(user, session.pairing)
    if action == "view":
        refused = denial(user, pairing)
    elif not sees_session_details(user, pairing):
        refused = ReportDenied(_LOG_ONLY, NOT_YOUR_PAIRING)
    else:
        refused = None
    if refused is not None:
        raise refused
    return session


def sees_session_details(user: Any, pairing: Pairing) -> bool:
    """Managers and the pair's contact see how a session went (intensity, Borg, notes, who
    cancelled); a referrer sees only that it took place, when and for how long."""
    return user.is_manager_of(pairing.municipality_id) or is_pair_contact(user, pairing)


def episode_for_report(user: Any, pk: Any) -> Any:
    """The course whose referrer report ``user`` wants: the same rules as a pairing's report —
    404 outside the municipality; coordinators and admins may; the referrer who made the
    referral only while the person's consent to share is in force (403 with the reason); the
    contact of one of its pairings 403 (they read their own pairing's report); anyone else 404
    (they cannot learn that the course exists)."""
    from kobling.referrals.models import Episode

    episode = _inside(
        user,
        Episode.objects.select_related("referral", "participant", "programme", "municipality"),
        pk,
    )
    if user.is_manager_of(episode.municipality_id):
        return episode
    if made_the_referral(user, episode):
        refused = _consent_denial(episode)
    elif user.has_role(Role.TRAINING_CONTACT, episode.municipality_id) and (
        episode.pairings.filter(helper__user_id=user.pk).exists()
    ):
        refused = ReportDenied(_("This is not one of your courses."), NOT_YOUR_PAIRING)
    else:
        raise Http404
    if refused is not None:
        raise refused
    return episode
