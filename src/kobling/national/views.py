"""Pages for the national analyst (aggregates only: units, never persons) and the public
mapping-survey page reached by a unit's signed link."""

from __future__ import annotations

import csv
import datetime as dt
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.views import add_service_errors
from kobling.national import io, selectors, services, surveys
from kobling.national.choices import (
    GATE_NEVER,
    GATE_TO_STATE,
    HEALTH_KINDS,
    MAPPED_KINDS,
    SMALL_CELL,
    QuestionRole,
    RecipientStatus,
    SchemeState,
    UnitKind,
)
from kobling.national.forms import (
    AddUnitsForm,
    CampaignForm,
    PhoneCallForm,
    QuestionForm,
    SchemeStatusForm,
    SurveyAnswerForm,
    UnitContactForm,
    UnitHealthForm,
    UnitImportForm,
)
from kobling.national.models import (
    SchemeStatus,
    SurveyCampaign,
    SurveyQuestion,
    SurveyRecipient,
    SurveyTemplate,
    Unit,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, ProgrammeKind


def analyst_required(view: Any) -> Any:
    """Signed in and the national analyst; everyone else 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_analyst:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _params(request: HttpRequest) -> tuple[dt.date, str]:
    try:
        on_date = dt.date.fromisoformat(request.GET.get("dato", ""))
    except ValueError:
        on_date = timezone.localdate()
    kind = request.GET.get("tiltak", ProgrammeKind.TRENINGSKONTAKT)
    if kind not in ProgrammeKind.values:
        kind = ProgrammeKind.TRENINGSKONTAKT
    return on_date, kind


def _csv_response(filename: str) -> tuple[HttpResponse, Any]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    return response, csv.writer(response, delimiter=";")


# --- overview -----------------------------------------------------------------------------------


@analyst_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    on_date, kind = _params(request)
    statuses = selectors.unit_statuses(on_date, kind)
    counties = selectors.county_shares(statuses, on_date)
    for county in counties:
        county["fill"] = selectors.band_colour(county["band"])
        county["x"] = 10 + county["col"] * 86
        county["y"] = 10 + county["row"] * 66
    legend = [
        {"colour": colour, "bounds": bounds, "y": 10 + i * 24}
        for i, (_name, colour, bounds) in enumerate(selectors.BANDS)
    ]
    return render(
        request,
        "national/overview.html",
        {
            "table": selectors.overview_table(statuses),
            "states": [SchemeState(s) for s in selectors.STATE_ORDER],
            "counties": counties,
            "legend": legend,
            "on_date": on_date,
            "kind": kind,
            "kinds": ProgrammeKind.choices,
            "units_total": len(statuses),
            "campaigns": selectors.campaign_list()[:5],
        },
    )


@analyst_required
@require_GET
def overview_csv(request: HttpRequest) -> HttpResponse:
    on_date, kind = _params(request)
    statuses = selectors.unit_statuses(on_date, kind)
    response, writer = _csv_response(f"kobling-nasjonalt-{kind}-{on_date}.csv")
    writer.writerow(
        ["unit_kind", *[f"{s}_{m}" for s in selectors.STATE_ORDER for m in ("n", "pct")], "total"]
    )
    for row in selectors.overview_table(statuses):
        cells = []
        for cell in row["cells"]:
            cells += [cell["count"], "" if cell["percent"] is None else cell["percent"]]
        writer.writerow([row["kind"], *cells, row["total"]])
    writer.writerow([])
    writer.writerow(["county_code", "county", "municipalities", "active", "unknown", "share_pct"])
    for county in selectors.county_shares(statuses, on_date):
        writer.writerow(
            [
                county["code"],
                county["name"],
                county["total"],
                county["active"],
                county["unknown"],
                "" if county["share"] is None else county["share"],
            ]
        )
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="national.overview",
        object_repr=f"overview {kind} {on_date}",
    )
    return response


# --- units --------------------------------------------------------------------------------------


@analyst_required
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    on_date, kind = _params(request)
    unit_kind = request.GET.get("type", "")
    state = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()
    statuses = selectors.unit_statuses(
        on_date, kind, (unit_kind,) if unit_kind in MAPPED_KINDS else MAPPED_KINDS
    )
    if state in SchemeState.values:
        statuses = [s for s in statuses if s.state == state]
    if query:
        statuses = [
            s for s in statuses if query.lower() in s.unit.name.lower() or s.unit.code == query
        ]
    page = Paginator(statuses, 100).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "national/unit_list.html",
        {
            "page": page,
            "on_date": on_date,
            "kind": kind,
            "kinds": ProgrammeKind.choices,
            "unit_kinds": [(k, UnitKind(k).label) for k in (*MAPPED_KINDS, *HEALTH_KINDS)],
            "unit_kind": unit_kind,
            # Health units have no scheme status: listed plainly, with their health region.
            "health_units": selectors.units_on(on_date, (unit_kind,)).order_by("code")
            if unit_kind in HEALTH_KINDS
            else None,
            "states": SchemeState.choices,
            "state": state,
            "q": query,
            "querystring_without_page": params.urlencode(),
        },
    )


@analyst_required
@require_GET
def unit_list_csv(request: HttpRequest) -> HttpResponse:
    on_date, kind = _params(request)
    response, writer = _csv_response(f"kobling-enheter-{kind}-{on_date}.csv")
    writer.writerow(
        [
            "unit_code",
            "unit_kind",
            "name",
            "county_code",
            "status",
            "source",
            "as_of",
            "started_year",
            "ended_year",
            "ended_reason",
        ]
    )
    for s in selectors.unit_statuses(on_date, kind):
        writer.writerow(
            [
                s.unit.code,
                s.unit.kind,
                s.unit.name,
                s.unit.county_code,
                s.state,
                s.source,
                s.as_of or "",
                s.started_year or "",
                s.ended_year or "",
                s.ended_reason,
            ]
        )
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="national.unit",
        object_repr=f"unit statuses {kind} {on_date}",
    )
    return response


@analyst_required
@require_http_methods(["GET", "POST"])
def unit_import(request: HttpRequest) -> HttpResponse:
    form = UnitImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        report = io.units_import(
            data=upload.read(),
            kind=data["kind"],
            by=request.user,
            source=data["source"] or upload.name,
            valid_from=data["valid_from"],
            dry_run=data["dry_run"],
        )
        if report.ok and report.saved:
            messages.success(request, _("The file was imported."))
    return render(
        request,
        "national/unit_import.html",
        {"form": form, "report": report},
        status=400 if (form.errors or (report and not report.ok)) else 200,
    )


def _unit(pk: int) -> Unit:
    return get_object_or_404(Unit.objects.select_related("contact"), pk=pk)


@analyst_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(pk)
    contact = getattr(unit, "contact", None)
    return render(
        request,
        "national/unit_detail.html",
        _unit_context(unit, contact),
    )


def _unit_context(unit: Unit, contact: Any, **forms: Any) -> dict[str, Any]:
    today = timezone.localdate()
    current = selectors.unit_statuses(today, ProgrammeKind.TRENINGSKONTAKT, (unit.kind,))
    return {
        "unit": unit,
        "contact": contact,
        "current": next((s for s in current if s.unit.pk == unit.pk), None),
        "versions": Unit.objects.filter(kind=unit.kind, code=unit.code).order_by("valid_from"),
        "history": SchemeStatus.objects.filter(unit=unit).select_related("recorded_by")[:50],
        "calls": unit.calls.select_related("campaign")[:50],
        "recipients": unit.survey_recipients.select_related("campaign").order_by("-created_at"),
        "contact_form": forms.get("contact_form")
        or UnitContactForm(
            initial={
                "name": contact.name if contact else "",
                "email": contact.email if contact else "",
                "phone": contact.phone if contact else "",
                "unit_email": unit.email,
            }
        ),
        "status_form": forms.get("status_form") or SchemeStatusForm(),
        "health_form": (
            forms.get("health_form")
            or UnitHealthForm(
                initial={"health_region": unit.health_region, "county_code": unit.county_code}
            )
        )
        if unit.kind in HEALTH_KINDS
        else None,
        "call_form": forms.get("call_form") or PhoneCallForm(),
    }


def _unit_form_post(
    request: HttpRequest, pk: int, form_class: Any, key: str, save: Any
) -> HttpResponse:
    unit = _unit(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(unit, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:national_unit_detail", pk=unit.pk)
    return render(
        request,
        "national/unit_detail.html",
        _unit_context(unit, getattr(unit, "contact", None), **{key: form}),
        status=400,
    )


@analyst_required
@require_POST
def unit_health(request: HttpRequest, pk: int) -> HttpResponse:
    def save(unit: Unit, data: dict[str, Any]) -> None:
        services.unit_set_health(
            unit=unit,
            by=request.user,
            health_region=data["health_region"],
            county_code=data["county_code"],
        )

    return _unit_form_post(request, pk, UnitHealthForm, "health_form", save)


@analyst_required
@require_POST
def unit_contact(request: HttpRequest, pk: int) -> HttpResponse:
    def save(unit: Unit, data: dict[str, Any]) -> None:
        services.unit_contact_set(
            unit=unit,
            by=request.user,
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
        )
        if data["unit_email"] != unit.email:
            services.unit_set_email(unit=unit, by=request.user, email=data["unit_email"])

    return _unit_form_post(request, pk, UnitContactForm, "contact_form", save)


@analyst_required
@require_POST
def unit_status(request: HttpRequest, pk: int) -> HttpResponse:
    def save(unit: Unit, data: dict[str, Any]) -> None:
        services.scheme_status_record(
            unit=unit,
            by=request.user,
            state=data["state"],
            as_of=data["as_of"],
            programme_kind=data["programme_kind"],
            started_year=data["started_year"],
            ended_year=data["ended_year"],
            ended_reason=data["ended_reason"] or "",
            note=data["note"],
        )

    return _unit_form_post(request, pk, SchemeStatusForm, "status_form", save)


@analyst_required
@require_POST
def unit_call(request: HttpRequest, pk: int) -> HttpResponse:
    def save(unit: Unit, data: dict[str, Any]) -> None:
        services.phone_call_log(
            unit=unit,
            by=request.user,
            called_on=data["called_on"],
            caller=data["caller"],
            outcome=data["outcome"],
            note=data["note"],
        )

    return _unit_form_post(request, pk, PhoneCallForm, "call_form", save)


# --- campaigns ----------------------------------------------------------------------------------


@analyst_required
@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign was created. Add units, then send it."))
            return redirect("web:national_campaign_detail", pk=campaign.pk)
    return render(
        request,
        "national/campaign_list.html",
        {
            "campaigns": selectors.campaign_list(),
            "templates": SurveyTemplate.objects.order_by("name"),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@analyst_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(SurveyCampaign.objects.select_related("template"), pk=pk)
    return render(request, "national/campaign_detail.html", _campaign_context(request, campaign))


def _campaign_context(request: HttpRequest, campaign: SurveyCampaign, **extra: Any) -> dict:
    status = request.GET.get("status", "")
    recipients = campaign.recipients.select_related("unit").order_by("unit__code")
    if status in RecipientStatus.values:
        recipients = recipients.filter(status=status)
    page = Paginator(recipients, 100).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    questions = list(campaign.template.questions.order_by("order", "pk"))
    answered = campaign.recipients.filter(status=RecipientStatus.ANSWERED).select_related("unit")
    counts = selectors.campaign_counts(campaign)
    return {
        "campaign": campaign,
        "counts": counts,
        "status_counts": [(v, label, counts[v]) for v, label in RecipientStatus.choices],
        "statuses": RecipientStatus.choices,
        "status": status,
        "page": page,
        "querystring_without_page": params.urlencode(),
        "add_form": extra.get("add_form") or AddUnitsForm(),
        "summary": _answer_summary(questions, list(answered)),
        "small_cell": SMALL_CELL,
    }


def _answer_summary(questions: list[SurveyQuestion], answered: list[SurveyRecipient]) -> list:
    """Per closed question: how many units gave each answer (units, not persons)."""
    summary = []
    for q in questions:
        if q.kind not in ("choice", "yes_no"):
            continue
        options = q.choices if q.kind == "choice" else [[True, _("Yes")], [False, _("No")]]
        counts = [
            (label, sum(1 for r in answered if r.answers.get(q.code) == value))
            for value, label in options
        ]
        summary.append({"question": q, "counts": counts})
    return summary


@analyst_required
@require_POST
def campaign_add_units(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(SurveyCampaign, pk=pk)
    form = AddUnitsForm(request.POST)
    if form.is_valid():
        try:
            added = services.campaign_add_units(
                campaign=campaign, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(n)s units were added.") % {"n": added})
            return redirect("web:national_campaign_detail", pk=campaign.pk)
    return render(
        request,
        "national/campaign_detail.html",
        _campaign_context(request, campaign, add_form=form),
        status=400,
    )


@analyst_required
@require_POST
def campaign_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(SurveyCampaign, pk=pk)
    queued = services.campaign_dispatch(campaign=campaign, by=request.user)
    messages.success(request, _("%(n)s e-mails are on their way.") % {"n": queued})
    return redirect("web:national_campaign_detail", pk=campaign.pk)


@analyst_required
@require_GET
def campaign_answers_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """One row per unit with its status and answers; person counts below five as "<5"."""
    campaign = get_object_or_404(SurveyCampaign.objects.select_related("template"), pk=pk)
    questions = list(campaign.template.questions.order_by("order", "pk"))
    response, writer = _csv_response(f"kobling-kartlegging-{campaign.pk}.csv")
    writer.writerow(
        [
            "unit_code",
            "unit",
            "survey_status",
            "reminders",
            "answered_at",
            *[q.code for q in questions],
        ]
    )
    for r in campaign.recipients.select_related("unit").order_by("unit__code"):
        writer.writerow(
            [
                r.unit.code,
                r.unit.name,
                r.status,
                r.reminders_sent,
                timezone.localtime(r.answered_at).date() if r.answered_at else "",
                *[selectors.answer_display(q, r.answers.get(q.code)) for q in questions],
            ]
        )
    audit_log(user=request.user, action=AuditAction.EXPORT, obj=campaign)
    return response


# --- templates ----------------------------------------------------------------------------------


@analyst_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "national/template_list.html",
        {"templates": SurveyTemplate.objects.prefetch_related("questions").order_by("name")},
    )


@analyst_required
@require_GET
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(SurveyTemplate, pk=pk)
    return render(
        request,
        "national/template_detail.html",
        {
            "template": template,
            "questions": template.questions.order_by("order", "pk"),
            "form": QuestionForm(initial={"order": 1000, "ask_when": "running", "kind": "text"}),
        },
    )


@analyst_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(SurveyQuestion.objects.select_related("template"), pk=pk)
    return _question_form(request, question.template, question)


@analyst_required
@require_POST
def question_create(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(SurveyTemplate, pk=pk)
    return _question_form(request, template, None)


def _question_form(
    request: HttpRequest, template: SurveyTemplate, question: SurveyQuestion | None
) -> HttpResponse:
    form = QuestionForm(
        request.POST if request.method == "POST" else None,
        initial=QuestionForm.initial_for(question) if question else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.question_save(
                template=template, by=request.user, question=question, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The question was saved."))
            return redirect("web:national_template_detail", pk=template.pk)
    return render(
        request,
        "national/question_form.html",
        {"form": form, "template": template, "question": question},
        status=400 if form.errors else 200,
    )


# --- the public survey page ---------------------------------------------------------------------


def _closed(request: HttpRequest, recipient: SurveyRecipient, state: str) -> HttpResponse:
    code = 409 if state == surveys.LinkState.ANSWERED else 410
    return render(
        request,
        "national/survey_closed.html",
        {"recipient": recipient, "state": state},
        status=code,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The unit's survey: no sign-in. The first GET marks it opened and shows the gate question
    alone ("does it run, has it ended, never?"); "never" is the whole answer, the others show
    only the questions asked for that answer (the early exit, without JavaScript). POST with
    all answers saves them; POST can also decline ("we don't want to take part") or opt out of
    all mapping e-mail. Tampered link → 404."""
    recipient = surveys.recipient_from_token(token)
    if recipient is None:
        raise Http404
    now = timezone.now()
    state = surveys.link_state(recipient, now=now)
    if state != surveys.LinkState.OPEN:
        return _closed(request, recipient, state)
    questions = list(recipient.campaign.template.questions.order_by("order", "pk"))
    gate = next((q for q in questions if q.role == QuestionRole.GATE), None)
    gate_value = ""
    status = 200
    if request.method == "POST":
        try:
            if "decline" in request.POST:
                surveys.survey_decline(recipient=recipient, now=now)
                return render(
                    request, "national/survey_done.html", {"recipient": recipient, "declined": True}
                )
            if "opt_out" in request.POST:
                surveys.survey_opt_out(recipient=recipient, now=now)
                return render(
                    request,
                    "national/survey_done.html",
                    {"recipient": recipient, "opted_out": True},
                )
        except surveys.SurveyClosedError as closed:
            return _closed(request, recipient, closed.state)
        posted = request.POST.get(gate.code, "") if gate else ""
        gate_value = posted if posted in GATE_TO_STATE else ""
        first_step = gate is not None and request.POST.get("step") == "gate"
        if first_step and gate_value and gate_value != GATE_NEVER:
            # On to the questions for this answer; nothing is saved yet.
            form = SurveyAnswerForm(initial={gate.code: gate_value}, questions=questions)
        else:
            form = SurveyAnswerForm(request.POST, questions=questions)
            form.is_valid()  # always valid: it only collects the values
            answers = form.raw_answers() if not first_step else {gate.code: posted}
            try:
                surveys.survey_answer(recipient=recipient, answers=answers, now=now)
            except surveys.SurveyClosedError as closed:
                return _closed(request, recipient, closed.state)
            except ValidationError as exc:
                for code, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(code if code in form.fields else None, error)
                status = 400
            else:
                return render(request, "national/survey_done.html", {"recipient": recipient})
    else:
        if request.method == "GET":
            surveys.recipient_open(recipient=recipient, now=now)
        form = SurveyAnswerForm(questions=questions)
    if gate is None:
        shown = questions
    elif not gate_value:
        shown = [gate]
    else:
        shown = [q for q in questions if q.pk == gate.pk or q.asked_for(gate_value)]
    return render(
        request,
        "national/survey_answer.html",
        {
            "form": form,
            "recipient": recipient,
            "template": recipient.campaign.template,
            "rows": [(form[q.code], q) for q in shown],
            "gate_step": gate is not None and not gate_value,
        },
        status=status,
    )
