"""Pay pages: the coordinator's month ("Pay and expenses": timesheets with totals, approve the
selected, payroll CSV, a PDF per contact), one timesheet, expenses with their receipts, the
programme's pay settings, and the training contact's "My hours" (their timesheets and expenses,
recording an expense with a photo of the receipt from the phone)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.access import is_manager, managed_municipality_ids, require_manager
from kobling.core.versions import VERSION_REQUIRED
from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.pay import ledger, services
from kobling.pay.api import receipt_response
from kobling.pay.export import payroll_csv, timesheet_filename, timesheet_pdf
from kobling.pay.forms import (
    AdjustmentForm,
    CorrectionForm,
    ExpenseForm,
    MonthPickerForm,
    NoteForm,
    PaySettingsForm,
    open_pairings_of,
)
from kobling.pay.models import Expense, PaySettings, Timesheet
from kobling.pay.months import current_month, parse_month, previous_month
from kobling.pay.selectors import (
    ExpenseFilterSet,
    expense_list_queryset,
    managed_helper_ids,
    own_helpers,
    timesheet_list_queryset,
)
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Programme


def _month_from(request: HttpRequest, default):  # noqa: ANN001, ANN202
    """The ``month`` asked for, or ``default`` with a message saying why not."""
    value = request.GET.get("month")
    if not value:
        return default
    try:
        return parse_month(value)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return default


# --- the coordinator's month ---------------------------------------------------------------------


@login_required
@require_GET
def pay_month(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    user = request.user
    month = _month_from(request, previous_month(current_month()))
    services.timesheet_roll_up(helper_ids=managed_helper_ids(user), by=user, month=month)
    sheets = list(
        timesheet_list_queryset(
            Timesheet.objects.visible_to(user, "approve").filter(month=month)
        ).order_by("helper__last_name", "helper__first_name", "pk")
    )
    audit_list_read(user=user, objects=sheets)
    views = ledger.sheet_views(sheets, with_rows=False)
    rows = [(s, views[s.pk]) for s in sheets]
    open_expenses = Expense.objects.visible_to(user, "approve").filter(status="open").count()
    month_over = month < current_month()
    return render(
        request,
        "pay/pay_month.html",
        {
            "month": month,
            "month_over": month_over,
            "picker": MonthPickerForm(initial={"month": f"{month:%Y-%m}"}),
            "rows": rows,
            "open_count": sum(1 for s in sheets if not s.is_approved),
            "totals": {
                "pay": sum((v.figures.pay_amount for _s, v in rows), ledger.ZERO),
                "expenses": sum((v.figures.expenses_total for _s, v in rows), ledger.ZERO),
                "total": sum((v.figures.total_amount for _s, v in rows), ledger.ZERO),
            },
            "open_expenses": open_expenses,
            "previous": previous_month(month),
            "next": _next_or_none(month),
        },
    )


def _next_or_none(month):  # noqa: ANN001, ANN202
    from kobling.pay.months import next_month

    following = next_month(month)
    return following if following <= current_month() else None


@login_required
@require_POST
def pay_approve(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    month_value = request.POST.get("month", "")
    back = (
        redirect(f"{reverse('web:pay_month')}?month={month_value}")
        if month_value
        else redirect("web:pay_month")
    )
    try:
        ids = [int(v) for v in request.POST.getlist("ids")]
    except ValueError:
        messages.error(request, _("Choose the timesheets to approve."))
        return back
    try:
        sheets = services.timesheets_approve(ids=ids, by=request.user)
    except services.ApprovalRefused as refused:
        names = dict(
            Timesheet.objects.visible_to(request.user, "view")
            .filter(pk__in=[r.id for r in refused.results])
            .values_list("pk", "helper__first_name")
        )
        problems = "; ".join(
            f"{names.get(r.id, r.id)}: {r.reason}" for r in refused.results if not r.ok
        )
        messages.error(request, _("Nothing was approved. %(problems)s") % {"problems": problems})
        return back
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return back
    messages.success(
        request,
        _("%(n)s timesheet(s) approved. They can no longer be changed.") % {"n": len(sheets)},
    )
    return back


@login_required
@require_GET
def pay_export(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    try:
        month = parse_month(request.GET.get("month"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:pay_month")
    content, filename = payroll_csv(user=request.user, month=month)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- one timesheet -------------------------------------------------------------------------------


def _sheet(
    request: HttpRequest, pk: int, *, action: str = "view", audit: bool = False
) -> Timesheet:
    return get_visible_or_404(
        request,
        timesheet_list_queryset(Timesheet.objects.all()),
        action=action,
        audit=audit,
        pk=pk,
    )


@login_required
@require_GET
def timesheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk, audit=True)
    if not sheet.is_approved:
        services.timesheet_roll_up(helper_ids=[sheet.helper_id], by=request.user)
    view = ledger.sheet_views([sheet])[sheet.pk]
    manager = is_manager(request.user, sheet.municipality_id)
    return render(
        request,
        "pay/timesheet_detail.html",
        {
            "sheet": sheet,
            "view": view,
            "manager": manager,
            "can_change": manager and not sheet.is_approved,
            "can_approve": manager and not sheet.is_approved and sheet.month < current_month(),
            "note_form": NoteForm(initial={"note": sheet.note, "version": sheet.version}),
            "adjustment_form": AdjustmentForm(),
        },
    )


@login_required
@require_POST
def timesheet_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk, action="change")
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("web:timesheet_detail", pk=sheet.pk)
    try:
        services.timesheet_add_adjustment(
            timesheet=sheet,
            minutes=form.cleaned_data.get("minutes"),
            reason=form.cleaned_data.get("reason") or "",
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The adjustment was added."))
    return redirect("web:timesheet_detail", pk=sheet.pk)


@login_required
@require_POST
def timesheet_note(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk, action="change")
    form = NoteForm(request.POST)
    if form.is_valid():
        with service_errors(request) as outcome:
            services.timesheet_update(
                timesheet=sheet,
                note=form.cleaned_data.get("note") or "",
                by=request.user,
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("The note was saved."))
    else:
        messages.error(request, error_text(ValidationError(form.errors)))
    return redirect("web:timesheet_detail", pk=sheet.pk)


@login_required
@require_GET
def timesheet_pdf_page(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    audit_log(user=request.user, action=AuditAction.VIEW, obj=sheet, changes={"pdf": True})
    view = ledger.sheet_views([sheet])[sheet.pk]
    response = HttpResponse(
        timesheet_pdf(view, lang=request.GET.get("lang", "nb")), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{timesheet_filename(sheet)}"'
    return response


# --- the contact's own hours -------------------------------------------------------------------


@login_required
@require_GET
def my_hours(request: HttpRequest) -> HttpResponse:
    user = request.user
    helpers = list(own_helpers(user))
    if not helpers:
        raise PermissionDenied
    services.timesheet_roll_up(helper_ids=[h.pk for h in helpers], by=user)
    sheets = list(
        timesheet_list_queryset(Timesheet.objects.visible_to(user, "view"))
        .filter(helper__in=helpers)
        .order_by("-month", "pk")[:24]
    )
    expenses = list(
        expense_list_queryset(Expense.objects.visible_to(user, "view"))
        .filter(helper__in=helpers)
        .order_by("-date", "-pk")[:50]
    )
    audit_list_read(user=user, objects=sheets)
    audit_list_read(user=user, objects=expenses)
    views = ledger.sheet_views(sheets, with_rows=False)
    return render(
        request,
        "pay/my_hours.html",
        {"rows": [(s, views[s.pk]) for s in sheets], "expenses": expenses},
    )


# --- expenses ---------------------------------------------------------------------------------


@login_required
@require_GET
def expense_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if Expense.visibility_q(user, "view") is None:
        raise PermissionDenied
    filterset = ExpenseFilterSet(
        request.GET or None, queryset=Expense.objects.visible_to(user, "view"), request=request
    )
    page = Paginator(expense_list_queryset(filterset.qs).order_by("-date", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    expenses = list(page)
    audit_list_read(user=user, objects=expenses)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "pay/expense_list.html",
        {
            "expenses": expenses,
            "page": page,
            "querystring_without_page": params.urlencode(),
            "filter": filterset,
            "is_manager_here": bool(managed_municipality_ids(user)),
        },
    )


def _recordable_helpers(user):  # noqa: ANN001, ANN202
    from kobling.helpers.models import Helper

    managed = managed_helper_ids(user)
    own = list(own_helpers(user).values_list("pk", flat=True))
    return Helper.objects.filter(pk__in=set(managed) | set(own)).order_by("last_name", "first_name")


def _pairing_label(manager: bool):  # noqa: ANN202
    if manager:
        return lambda p: f"{p.participant.full_name} + {p.helper.full_name}"
    return lambda p: p.participant.first_name


@login_required
@require_http_methods(["GET", "POST"])
def expense_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if Expense.visibility_q(user, "add") is None:
        raise PermissionDenied
    helpers = _recordable_helpers(user)
    if not helpers.exists():
        raise PermissionDenied
    manager = bool(managed_municipality_ids(user))
    form = ExpenseForm(
        request.POST or None,
        request.FILES or None,
        helpers=helpers,
        pairings=open_pairings_of(helpers),
        pairing_label=_pairing_label(manager),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # With several to choose from, the one chosen: never a guess at the first in the list.
        helper = data.get("helper") if "helper" in form.fields else helpers.first()
        if helper is None:
            form.add_error("helper", _("Choose the contact."))
        else:
            try:
                expense = services.expense_create(
                    helper=helper,
                    by=user,
                    date=data.get("date"),
                    category=data.get("category") or "",
                    amount=data.get("amount"),
                    description=data.get("description") or "",
                    pairing=data.get("pairing"),
                    receipt=data.get("receipt"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The expense was recorded and waits for approval."))
                return redirect("web:expense_detail", pk=expense.pk)
    # The form names the participants it offers: a read of their pairings.
    audit_list_read(user=user, objects=list(form.fields["pairing"].queryset))
    return render(request, "pay/expense_form.html", {"form": form, "editing": False})


def _expense(
    request: HttpRequest, pk: int, *, action: str = "view", audit: bool = False
) -> Expense:
    return get_visible_or_404(
        request,
        expense_list_queryset(Expense.objects.all()),
        action=action,
        audit=audit,
        pk=pk,
    )


@login_required
@require_GET
def expense_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk, audit=True)
    manager = is_manager(request.user, expense.municipality_id)
    corrections = list(expense.corrections.all().order_by("created_at", "pk"))
    return render(
        request,
        "pay/expense_detail.html",
        {
            "expense": expense,
            "manager": manager,
            "can_edit": not expense.is_approved and expense.permits(request.user, "change"),
            "can_approve": manager and not expense.is_approved,
            "can_correct": manager and expense.is_approved and not expense.is_correction,
            "correction_form": CorrectionForm(),
            "corrections": corrections,
            "paid_on": expense.settlements.select_related("timesheet").first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def expense_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk, action="change", audit=request.method == "GET")
    if expense.is_approved:
        from kobling.pay.models import locked_expense_message

        messages.error(request, locked_expense_message())
        return redirect("web:expense_detail", pk=expense.pk)
    manager = is_manager(request.user, expense.municipality_id)
    form = ExpenseForm(
        request.POST or None,
        request.FILES or None,
        helpers=_recordable_helpers(request.user),
        pairings=open_pairings_of([expense.helper]),
        pairing_label=_pairing_label(manager),
        editing=True,
        initial={
            "date": expense.date,
            "category": expense.category,
            "amount": str(expense.amount),
            "description": expense.description,
            "pairing": expense.pairing_id,
            "version": expense.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with service_errors(form) as outcome:
            services.expense_update(
                expense=expense,
                by=request.user,
                expected_version=data.get("version"),
                date=data.get("date"),
                category=data.get("category") or "",
                amount=data.get("amount"),
                description=data.get("description") or "",
                pairing=data.get("pairing"),
                receipt=data.get("receipt"),
            )
        if outcome.ok:
            messages.success(request, _("The expense was saved."))
            return redirect("web:expense_detail", pk=expense.pk)
    audit_list_read(user=request.user, objects=list(form.fields["pairing"].queryset))
    return render(
        request, "pay/expense_form.html", {"form": form, "editing": True, "expense": expense}
    )


@login_required
@require_GET
def expense_receipt(request: HttpRequest, pk: int) -> FileResponse:
    expense = _expense(request, pk)
    return receipt_response(request.user, expense)


@login_required
@require_POST
def expense_approve(request: HttpRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk, action="approve")
    version = request.POST.get("version", "")
    if not version.isdigit():
        messages.error(request, VERSION_REQUIRED)
        return redirect("web:expense_detail", pk=expense.pk)
    with service_errors(request) as outcome:
        services.expense_approve(expense=expense, by=request.user, expected_version=int(version))
    if outcome.ok:
        messages.success(request, _("The expense was approved."))
    return redirect("web:expense_detail", pk=expense.pk)


@login_required
@require_POST
def expense_correct(request: HttpRequest, pk: int) -> HttpResponse:
    expense = _expense(request, pk, action="approve")
    form = CorrectionForm(request.POST)
    form.is_valid()
    try:
        correction = services.expense_correct(
            original=expense,
            amount=form.cleaned_data.get("amount"),
            description=form.cleaned_data.get("description") or "",
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:expense_detail", pk=expense.pk)
    messages.success(request, _("The correction was recorded and waits for approval."))
    return redirect("web:expense_detail", pk=correction.pk)


# --- settings ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pay_settings(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    user = request.user
    programmes = list(
        Programme.objects.filter(municipality__in=sorted(managed_municipality_ids(user)))
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )
    stored = {s.programme_id: s for s in PaySettings.objects.filter(programme__in=programmes)}
    posted_for = request.POST.get("programme") if request.method == "POST" else None
    rows = []
    for programme in programmes:
        current = stored.get(programme.pk) or PaySettings(
            municipality_id=programme.municipality_id, programme=programme
        )
        initial = {
            "extra_minutes_per_session": current.extra_minutes_per_session,
            "coordination_cost_per_year": current.coordination_cost_per_year,
            "version": current.version,
        }
        bound = posted_for == str(programme.pk)
        form = PaySettingsForm(
            request.POST if bound else None, initial=initial, prefix=f"p{programme.pk}"
        )
        if not current.pk:
            form.fields["version"].required = False  # the first save has nothing to check
        if bound and form.is_valid():
            with service_errors(form) as outcome:
                services.pay_settings_update(
                    programme=programme,
                    by=user,
                    extra_minutes_per_session=form.cleaned_data["extra_minutes_per_session"],
                    coordination_cost_per_year=form.cleaned_data.get("coordination_cost_per_year")
                    or 0,
                    expected_version=form.cleaned_data.get("version") if current.pk else None,
                )
            if outcome.ok:
                messages.success(request, _("The pay settings were saved."))
                return redirect("web:pay_settings")
        rows.append((programme, form))
    if posted_for and not any(posted_for == str(p.pk) for p in programmes):
        get_object_or_404(Programme.objects.none())
    return render(request, "pay/pay_settings.html", {"rows": rows})
