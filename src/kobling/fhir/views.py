"""The FHIR R4 REST endpoint at /fhir/R4/: one plain Django view that authenticates the
Kobling API token, routes the interaction, and answers every error as an OperationOutcome.

Access is the product's one gate: every list and read starts from ``visible_to`` (outside the
visible set → 404, a role that can never see the kind of record → 403), and every read of a
person's record is audited as a page read is (docs/fhir.md)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed

from kobling.core.authentication import ExpiringTokenAuthentication
from kobling.fhir import codes, intake, resources
from kobling.fhir.intake import Problem
from kobling.fhir.selectors import episode_of, state_of, task_rows
from kobling.followup.report import build_episode_report
from kobling.outcomes.models import FollowUp, Goal, Instrument, Review
from kobling.referrals.choices import ConsentScope
from kobling.referrals.models import Consent, Participant, Referral, sharing_consent_in_force
from kobling.referrals.selectors import consent_in_force
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, Role
from kobling.tenancy.scoping import in_municipalities

# A referral is a few kilobytes; anything far bigger is refused before it is read.
MAX_BODY_BYTES = 64 * 1024
DEFAULT_COUNT = 20
MAX_COUNT = 100
ID_RE = re.compile(r"[A-Za-z0-9\-.]{1,64}")
SUPPORTED = ("Patient", "ServiceRequest", "Task", "QuestionnaireResponse", "Questionnaire")


def _issue(code: str, text: Any, *expression: str) -> dict[str, Any]:
    return {"code": code, "text": str(text), "expression": list(expression)}


def fhir_response(resource: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    body = resources.emit(resource).model_dump_json(exclude_none=True)
    response = HttpResponse(body, status=status, content_type=f"{codes.MEDIA_TYPE}; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    patch_cache_control(response, private=True, no_store=True)
    return response


def outcome(status: int, issues: list[dict[str, Any]], **headers: str) -> HttpResponse:
    return fhir_response(resources.operation_outcome(issues), status, **headers)


class Unauthorized(Exception):
    pass


def _user(request: HttpRequest) -> Any:
    """The user of ``Authorization: Bearer <token>`` (or ``Token <token>``): a Kobling API
    token, with its lifetime. Sessions never count here (no CSRF exposure)."""
    scheme, _space, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not key.strip():
        raise Unauthorized(_("Send a Kobling API token: 'Authorization: Bearer <token>'."))
    try:
        user, _token = ExpiringTokenAuthentication().authenticate_credentials(key.strip())
    except AuthenticationFailed as exc:
        raise Unauthorized(str(exc.detail)) from None
    request.user = user
    return user


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4/")


# --- search parameters ----------------------------------------------------------------------------

PAGING = {"_count", "_page", "_format"}


def _params(request: HttpRequest, allowed: set[str]) -> dict[str, list[str]]:
    params = {key: request.GET.getlist(key) for key in request.GET}
    unknown = sorted(set(params) - allowed - PAGING)
    if unknown:
        raise Problem(
            400,
            [
                _issue(
                    "not-supported",
                    _("Unknown search parameter(s): %(unknown)s. Supported: %(known)s.")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(allowed))},
                    *unknown,
                )
            ],
        )
    return params


_PREFIXES = {"eq": "", "gt": "__gt", "ge": "__gte", "lt": "__lt", "le": "__lte"}


def _last_updated(values: list[str], field: str) -> Q:
    """``_lastUpdated=ge2026-01-01`` (a date or a date-time with a time zone), repeatable."""
    q = Q()
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        # An unencoded "+" of a time zone arrives as a space; a date-time has none otherwise.
        text = text.strip().replace(" ", "+")
        moment = parse_datetime(text) if "T" in text else None
        day = parse_date(text) if moment is None else None
        if moment is None and day is None:
            raise Problem(
                400,
                [
                    _issue(
                        "value",
                        _("Not a date or date-time: %(value)s.") % {"value": repr(raw)},
                        "_lastUpdated",
                    )
                ],
            )
        if moment is not None and timezone.is_naive(moment):
            raise Problem(
                400, [_issue("value", _("A date-time needs a time zone."), "_lastUpdated")]
            )
        if day is not None:
            start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
            end = start + dt.timedelta(days=1)
            bounds = {
                "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
                "gt": Q(**{f"{field}__gte": end}),
                "ge": Q(**{f"{field}__gte": start}),
                "lt": Q(**{f"{field}__lt": start}),
                "le": Q(**{f"{field}__lt": end}),
            }
            q &= bounds[prefix]
        else:
            q &= Q(**{f"{field}{_PREFIXES[prefix]}": moment})
    return q


def _reference_id(value: str, kind: str, name: str) -> str:
    """``kind/123`` or ``123`` (or a full URL ending so)."""
    tail = value.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] != kind:
        raise Problem(
            400,
            [
                _issue(
                    "value",
                    _("%(name)s must refer to a %(kind)s.") % {"name": name, "kind": kind},
                    name,
                )
            ],
        )
    ident = tail[-1]
    if not ID_RE.fullmatch(ident):
        raise Problem(
            400,
            [
                _issue(
                    "value",
                    _("Not a %(kind)s id: %(value)s.") % {"kind": kind, "value": repr(value)},
                    name,
                )
            ],
        )
    return ident


def _int_id(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 18 else 0


def _identifier_q(value: str, prefix: str) -> Q:
    """``system|value`` for fødselsnummer or D-nummer, Kobling's participant id, or a bare
    value (any of them)."""
    system, bar, number = value.partition("|")
    if not bar:
        system, number = "", value
    if system in (codes.FNR_SYSTEM, codes.DNR_SYSTEM, ""):
        q = Q(**{f"{prefix}national_id": number.replace(" ", "")})
        if system == "":
            q |= Q(**{f"{prefix}pk": _int_id(number)}, **{f"{prefix}national_id": ""})
        return q
    if system == codes.PARTICIPANT_SYSTEM:
        return Q(**{f"{prefix}pk": _int_id(number), f"{prefix}national_id": ""})
    raise Problem(
        400,
        [
            _issue(
                "value",
                _("Unknown identifier system %(system)s.") % {"system": repr(system)},
                "identifier",
            )
        ],
    )


def _page(request: HttpRequest, rows: list[Any] | QuerySet, params: dict[str, list[str]]):
    try:
        count = int((params.get("_count") or [DEFAULT_COUNT])[0])
        page = int((params.get("_page") or [1])[0])
    except ValueError:
        raise Problem(
            400, [_issue("value", _("_count and _page are whole numbers."), "_count")]
        ) from None
    count = max(1, min(count, MAX_COUNT))
    page = max(1, page)
    total = len(rows) if isinstance(rows, list) else rows.count()
    chosen = list(rows[(page - 1) * count : page * count])
    base = request.build_absolute_uri(request.path)
    keep = [(k, v) for k, values in params.items() if k not in {"_page", "_count"} for v in values]

    def link(number: int) -> str:
        return f"{base}?{urlencode([*keep, ('_count', count), ('_page', number)])}"

    links = {"self": link(page), "first": link(1)}
    if page * count < total:
        links["next"] = link(page + 1)
    if page > 1:
        links["previous"] = link(page - 1)
    return chosen, total, links


def _bundle(request: HttpRequest, found: list[dict[str, Any]], total: int, links: dict[str, str]):
    return fhir_response(
        resources.searchset(base=_base(request), resources=found, total=total, links=links)
    )


def _gate(model: Any, user: Any) -> None:
    """A role that can never see this kind of record: 403 up front."""
    if model.visibility_q(user, "view") is None:
        raise PermissionDenied(_("Your role cannot read these resources."))


# --- Patient --------------------------------------------------------------------------------------


def patient_read(request: HttpRequest, user: Any, ident: str) -> HttpResponse:
    _gate(Participant, user)
    participant = Participant.objects.visible_to(user, "view").filter(pk=_int_id(ident)).first()
    if participant is None:
        raise Http404
    audit_log(user=user, action=AuditAction.VIEW, obj=participant)
    return fhir_response(resources.patient(participant))


def patient_search(request: HttpRequest, user: Any) -> HttpResponse:
    _gate(Participant, user)
    params = _params(request, {"identifier", "_lastUpdated", "_id"})
    qs = Participant.objects.visible_to(user, "view")
    for value in params.get("identifier", []):
        qs = qs.filter(_identifier_q(value, ""))
    for value in params.get("_id", []):
        qs = qs.filter(pk=_int_id(value))
    if "_lastUpdated" in params:
        qs = qs.filter(_last_updated(params["_lastUpdated"], "updated_at"))
    rows, total, links = _page(request, qs.order_by("pk"), params)
    audit_list_read(user=user, objects=rows)
    return _bundle(request, [resources.patient(p) for p in rows], total, links)


# --- ServiceRequest ---------------------------------------------------------------------------


def _referrals(user: Any) -> QuerySet[Referral]:
    _gate(Referral, user)
    return Referral.objects.visible_to(user, "view")


def _visible_consents(referral: Referral, user: Any) -> list[Consent]:
    if not Consent.visibility_q(user, "view"):
        return []
    return list(referral.consents.all())


def _service_request(referral: Referral, user: Any) -> dict[str, Any]:
    return resources.service_request(
        referral, consents=_visible_consents(referral, user), full=referral.permits(user, "view")
    )


def _sr_queryset(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    return qs.select_related("participant", "programme", "municipality").prefetch_related(
        "target_groups", "consents"
    )


def service_request_read(request: HttpRequest, user: Any, ident: str) -> HttpResponse:
    referral = _sr_queryset(_referrals(user)).filter(pk=_int_id(ident)).first()
    if referral is None:
        raise Http404
    audit_log(user=user, action=AuditAction.VIEW, obj=referral, changes={"fhir": "ServiceRequest"})
    return fhir_response(_service_request(referral, user))


def _subject_filters(params: dict[str, list[str]], prefix: str) -> Q:
    q = Q()
    for value in params.get("subject:identifier", []) + params.get("patient:identifier", []):
        q &= _identifier_q(value, f"{prefix}")
    for value in params.get("subject", []) + params.get("patient", []):
        q &= Q(**{f"{prefix}pk": _int_id(_reference_id(value, "Patient", "subject"))})
    return q


def service_request_search(request: HttpRequest, user: Any) -> HttpResponse:
    params = _params(
        request,
        {
            "subject:identifier",
            "patient:identifier",
            "subject",
            "patient",
            "status",
            "_lastUpdated",
            "_id",
        },
    )
    qs = _referrals(user).filter(_subject_filters(params, "participant__"))
    for value in params.get("status", []):
        qs = qs.filter(status__in=resources.referral_statuses_for(value))
    for value in params.get("_id", []):
        qs = qs.filter(pk=_int_id(value))
    if "_lastUpdated" in params:
        qs = qs.filter(_last_updated(params["_lastUpdated"], "updated_at"))
    rows, total, links = _page(request, _sr_queryset(qs).order_by("pk"), params)
    audit_list_read(user=user, objects=rows)
    return _bundle(request, [_service_request(r, user) for r in rows], total, links)


def _read_body(request: HttpRequest) -> Any:
    kind = request.content_type or ""
    if kind not in {codes.MEDIA_TYPE, "application/json"}:
        raise Problem(
            415,
            [
                _issue(
                    "not-supported",
                    _("Send %(wanted)s (got %(got)s).")
                    % {"wanted": codes.MEDIA_TYPE, "got": kind or _("no content type")},
                )
            ],
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise _too_long()
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_long() from None
    if len(body) > MAX_BODY_BYTES:
        raise _too_long()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, [_issue("structure", _("The body is not valid JSON."))]) from None


def _too_long() -> Problem:
    return Problem(
        413,
        [
            _issue(
                "too-long",
                _("The body is larger than %(bytes)s bytes.") % {"bytes": MAX_BODY_BYTES},
            )
        ],
    )


def service_request_create(request: HttpRequest, user: Any) -> HttpResponse:
    if not user.municipality_ids(*MANAGER_ROLES, Role.REFERRER):
        raise PermissionDenied(_("Only referrers and coordinators can send referrals."))
    data = _read_body(request)
    sr = intake.parse(data)
    referral = intake.referral_from_service_request(sr, by=user)
    fresh = _sr_queryset(Referral.objects.filter(pk=referral.pk)).get()
    location = f"{_base(request)}ServiceRequest/{referral.pk}"
    return fhir_response(_service_request(fresh, user), 201, Location=location)


# --- Task ---------------------------------------------------------------------------------------


def _sees_course(user: Any, referral: Referral) -> bool:
    """The course report (Task.output) and the decision's reasons: the municipality's managers,
    and the referrer who made the referral while the person's consent to share is in force —
    the rule of the referrer report."""
    if user.is_manager_of(referral.municipality_id):
        return True
    return referral.referrer_id == user.pk and consent_in_force(
        referral, ConsentScope.SHARE_WITH_REFERRER
    )


def _task(referral: Referral, user: Any) -> tuple[dict[str, Any], Any]:
    state = state_of(referral)
    episode = episode_of(referral)
    sees = _sees_course(user, referral)
    report = (
        build_episode_report(episode) if sees and episode is not None and state.started else None
    )
    reasons = ""
    if sees and state.status == "rejected":
        latest = referral.decisions.order_by("-decided_on", "-id").first()
        reasons = latest.reasons if latest is not None else ""
    resource = resources.task(
        referral,
        state=state,
        last_updated=referral.fhir_changed,  # type: ignore[attr-defined]
        episode=episode,
        report=report,
        show_reason_text=sees,
        decision_reasons=reasons,
    )
    return resource, report


def task_read(request: HttpRequest, user: Any, ident: str) -> HttpResponse:
    referral = task_rows(_referrals(user)).filter(pk=_int_id(ident)).first()
    if referral is None:
        raise Http404
    resource, report = _task(referral, user)
    audit_log(user=user, action=AuditAction.VIEW, obj=referral, changes={"fhir": "Task"})
    if report is not None:
        audit_log(
            user=user,
            action=AuditAction.VIEW,
            obj=episode_of(referral),
            changes={"report": "referrer", "fhir": "Task"},
        )
    return fhir_response(resource)


TASK_STATUSES = {
    "requested",
    "received",
    "accepted",
    "rejected",
    "in-progress",
    "on-hold",
    "completed",
    "cancelled",
}


def task_search(request: HttpRequest, user: Any) -> HttpResponse:
    params = _params(
        request,
        {
            "based-on",
            "focus",
            "status",
            "_lastUpdated",
            "_id",
            "subject",
            "patient",
            "subject:identifier",
            "patient:identifier",
        },
    )
    qs = _referrals(user).filter(_subject_filters(params, "participant__"))
    for value in params.get("based-on", []) + params.get("focus", []):
        qs = qs.filter(pk=_int_id(_reference_id(value, "ServiceRequest", "based-on")))
    for value in params.get("_id", []):
        qs = qs.filter(pk=_int_id(value))
    rows_qs = task_rows(qs)
    if "_lastUpdated" in params:
        rows_qs = rows_qs.filter(_last_updated(params["_lastUpdated"], "fhir_changed"))
    wanted = set()
    for value in params.get("status", []):
        wanted |= set(value.split(","))
    if wanted - TASK_STATUSES:
        raise Problem(400, [_issue("value", _("Unknown Task status."), "status")])
    rows: list[Referral] | QuerySet = rows_qs.order_by("pk")
    if wanted:
        # The status is derived, not stored: filter the derived states.
        rows = [r for r in rows if state_of(r).status in wanted]
    chosen, total, links = _page(request, rows, params)
    found = []
    for referral in chosen:
        resource, _report = _task(referral, user)
        found.append(resource)
    audit_list_read(user=user, objects=chosen)
    return _bundle(request, found, total, links)


# --- QuestionnaireResponse and Questionnaire ------------------------------------------------------


def _qr_referrals(user: Any) -> QuerySet[Referral]:
    """The referrals whose answers ``user`` may read: managers all of their municipality's; the
    referrer who made one while the person's consent to share is in force."""
    managers = in_municipalities(user, MANAGER_ROLES)
    referrer_in = in_municipalities(user, (Role.REFERRER,))
    q = managers
    if referrer_in is not None:
        own = Q(referrer=user) & referrer_in & Q(sharing_consent_in_force("pk"))
        q = own if q is None else q | own
    if q is None:
        raise PermissionDenied(_("Your role cannot read questionnaire answers."))
    return Referral.objects.filter(q)


def _followups(referrals: QuerySet[Referral]) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        episode__referral__in=referrals, answered_at__isnull=False
    ).select_related("episode")


def _reviews(referrals: QuerySet[Referral]) -> QuerySet[Review]:
    return (
        Review.objects.current()
        .filter(episode__referral__in=referrals)
        .select_related("episode")
        .prefetch_related("scores__instrument__items")
    )


def _goals(rows: list[Any]) -> dict[int, str]:
    """The goals' texts of the courses of ``rows`` (for goal attainment), in one query."""
    episodes = {o.episode_id for o in rows if isinstance(o, Review)}
    if not episodes:
        return {}
    return dict(Goal.objects.filter(episode_id__in=episodes).values_list("pk", "text"))


def _qr(obj: Any, goals: dict[int, str]) -> dict[str, Any]:
    episode = obj.episode
    if isinstance(obj, FollowUp):
        return resources.followup_response(obj, episode.referral_id, episode.participant_id)
    return resources.review_response(obj, episode.referral_id, episode.participant_id, goals=goals)


def questionnaire_response_read(request: HttpRequest, user: Any, ident: str) -> HttpResponse:
    referrals = _qr_referrals(user)
    kind, _dash, number = ident.partition("-")
    found: Any = None
    if kind == "followup":
        found = _followups(referrals).filter(pk=_int_id(number)).first()
    elif kind == "review":
        found = _reviews(referrals).filter(pk=_int_id(number)).first()
    if found is None:
        raise Http404
    audit_log(
        user=user, action=AuditAction.VIEW, obj=found, changes={"fhir": "QuestionnaireResponse"}
    )
    return fhir_response(_qr(found, _goals([found])))


def questionnaire_response_search(request: HttpRequest, user: Any) -> HttpResponse:
    params = _params(
        request,
        {
            "based-on",
            "subject",
            "patient",
            "subject:identifier",
            "patient:identifier",
            "questionnaire",
            "_lastUpdated",
        },
    )
    referrals = _qr_referrals(user).filter(_subject_filters(params, "participant__"))
    for value in params.get("based-on", []):
        referrals = referrals.filter(pk=_int_id(_reference_id(value, "ServiceRequest", "based-on")))
    kinds = {"followup", "review"}
    for value in params.get("questionnaire", []):
        name = value.split("|")[0].rstrip("/").split("/")[-1]
        kinds &= {name}
    followups = _followups(referrals) if "followup" in kinds else FollowUp.objects.none()
    reviews = _reviews(referrals) if "review" in kinds else Review.objects.none()
    if "_lastUpdated" in params:
        followups = followups.filter(_last_updated(params["_lastUpdated"], "answered_at"))
        reviews = reviews.filter(_last_updated(params["_lastUpdated"], "recorded_at"))
    rows = sorted(
        [*followups, *reviews],
        key=lambda o: (o.answered_at if isinstance(o, FollowUp) else o.recorded_at, o.pk),
    )
    chosen, total, links = _page(request, rows, params)
    for model in (FollowUp, Review):
        audit_list_read(user=user, objects=[o for o in chosen if isinstance(o, model)])
    goals = _goals(chosen)
    return _bundle(request, [_qr(o, goals) for o in chosen], total, links)


def _questionnaires() -> dict[str, dict[str, Any]]:
    instruments = list(
        Instrument.objects.filter(is_active=True)
        .prefetch_related("items")
        .order_by("position", "code")
    )
    return {
        resources.FOLLOWUP_QUESTIONNAIRE: resources.followup_questionnaire(),
        resources.REVIEW_QUESTIONNAIRE: resources.review_questionnaire(instruments),
    }


def questionnaire_read(request: HttpRequest, user: Any, ident: str) -> HttpResponse:
    _gate(Instrument, user)
    found = _questionnaires().get(ident)
    if found is None:
        raise Http404
    return fhir_response(found)


def questionnaire_search(request: HttpRequest, user: Any) -> HttpResponse:
    _gate(Instrument, user)
    params = _params(request, {"url", "_id"})
    found = list(_questionnaires().values())
    for value in params.get("url", []):
        found = [q for q in found if q["url"] == value.split("|")[0]]
    for value in params.get("_id", []):
        found = [q for q in found if q["id"] == value]
    chosen, total, links = _page(request, found, params)
    return _bundle(request, chosen, total, links)


# --- routing ------------------------------------------------------------------------------------

READS: dict[str, Callable[..., HttpResponse]] = {
    "Patient": patient_read,
    "ServiceRequest": service_request_read,
    "Task": task_read,
    "QuestionnaireResponse": questionnaire_response_read,
    "Questionnaire": questionnaire_read,
}
SEARCHES: dict[str, Callable[..., HttpResponse]] = {
    "Patient": patient_search,
    "ServiceRequest": service_request_search,
    "Task": task_search,
    "QuestionnaireResponse": questionnaire_response_search,
    "Questionnaire": questionnaire_search,
}
CREATES: dict[str, Callable[..., HttpResponse]] = {"ServiceRequest": service_request_create}


def _not_allowed(allowed: list[str], what: str) -> HttpResponse:
    return outcome(
        405,
        [
            _issue(
                "not-supported",
                _("%(what)s is not supported here. Allowed: %(allowed)s.")
                % {"what": what, "allowed": ", ".join(allowed) or "-"},
            )
        ],
        Allow=", ".join(allowed),
    )


def _wants_other_format(request: HttpRequest) -> bool:
    wanted = (request.GET.get("_format") or "").lower()
    if wanted and "json" not in wanted:
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return bool(accept) and not any(kind in accept for kind in ("json", "*/*", "application/*"))


def metadata(request: HttpRequest) -> HttpResponse:
    from importlib.metadata import PackageNotFoundError, version

    try:
        software = version("kobling")
    except PackageNotFoundError:  # pragma: no cover - a checkout without install
        software = "0"
    return fhir_response(
        resources.capability_statement(base=_base(request), software_version=software)
    )


def _route(request: HttpRequest, resource_type: str | None, ident: str | None) -> HttpResponse:
    if _wants_other_format(request):
        return outcome(
            406,
            [
                _issue(
                    "not-supported", _("Only %(type)s is supported.") % {"type": codes.MEDIA_TYPE}
                )
            ],
        )
    method = request.method or "GET"
    if resource_type is None:
        return _not_allowed([], _("Batch, transaction and whole-system interactions"))
    if resource_type == "metadata" and ident is None:
        if method not in {"GET", "HEAD"}:
            return _not_allowed(["GET"], method)
        return metadata(request)
    if resource_type not in SUPPORTED:
        return outcome(
            404,
            [
                _issue(
                    "not-supported",
                    _("Resource type %(type)s is not supported here.")
                    % {"type": repr(resource_type)},
                )
            ],
        )
    if ident is not None and not ID_RE.fullmatch(ident):
        return outcome(
            404, [_issue("not-found", _("No %(type)s with that id.") % {"type": resource_type})]
        )
    allowed = ["GET", *(["POST"] if resource_type in CREATES else [])] if ident is None else ["GET"]
    if method not in {*allowed, "HEAD"}:
        return _not_allowed(
            allowed, _("%(method)s on %(type)s") % {"method": method, "type": resource_type}
        )
    try:
        user = _user(request)
    except Unauthorized as exc:
        return outcome(
            401, [_issue("login", str(exc))], WWW_Authenticate='Bearer realm="kobling-fhir"'
        )
    if ident is not None:
        return READS[resource_type](request, user, ident)
    if method == "POST":
        return CREATES[resource_type](request, user)
    return SEARCHES[resource_type](request, user)


@csrf_exempt
def endpoint(
    request: HttpRequest, resource_type: str | None = None, ident: str | None = None
) -> HttpResponse:
    try:
        return _route(request, resource_type, ident)
    except Problem as problem:
        return outcome(problem.status, problem.issues)
    except Http404:
        return outcome(
            404,
            [
                _issue(
                    "not-found",
                    _("No %(type)s with id %(id)s that you can see.")
                    % {"type": resource_type, "id": repr(ident)},
                )
            ],
        )
    except PermissionDenied as exc:
        return outcome(
            403,
            [_issue("forbidden", str(exc) or _("Your role may not do this."))],
        )


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return outcome(404, [_issue("not-supported", _("This interaction is not supported here."))])
