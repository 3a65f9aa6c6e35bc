"""The access-log review page (Normen) for the municipality's privacy officer — in Kobling the
municipal admin: the period's reads and writes of people in the audit log, person by person,
with filters and flags, the monthly review records, and a CSV export of the filtered rows.
Reading the page is itself audited (the people it shows). docs/access-review.md."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kobling.core import access_flags, access_review
from kobling.core.models import AccessReview, AccessReviewRules
from kobling.core.views import add_service_errors, service_errors
from kobling.lib.spreadsheet import neutralise
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction
from kobling.tenancy.models import Municipality

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FLAG_CHOICES = [(f, access_review.FLAG_LABELS[f]) for f in access_flags.FLAGS]


class ReviewFilterForm(forms.Form):
    municipality = forms.TypedChoiceField(label=gettext_lazy("Municipality"), coerce=int)
    start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), widget=DATE)
    user = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    person = forms.CharField(label=gettext_lazy("Person (name)"), required=False, max_length=160)
    course = forms.IntegerField(
        label=gettext_lazy("Course number"), required=False, min_value=1, max_value=2**31 - 1
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("All")), *AuditAction.choices],
    )
    flag = forms.ChoiceField(
        label=gettext_lazy("Flag"),
        required=False,
        choices=[("", gettext_lazy("All")), ("any", gettext_lazy("Any flag")), *FLAG_CHOICES],
    )

    def __init__(self, data, *, municipalities: list[Municipality]) -> None:  # noqa: ANN001
        super().__init__(data)
        self.fields["municipality"].choices = [(m.pk, m.name) for m in municipalities]

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The period ends before it starts."))
            if (end - start).days + 1 > access_review.MAX_PERIOD_DAYS:
                raise ValidationError(
                    _("Review at most %(days)d days at a time.")
                    % {"days": access_review.MAX_PERIOD_DAYS}
                )
        return cleaned


class AccessReviewForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("Month reviewed"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    flags_checked = forms.MultipleChoiceField(
        label=gettext_lazy("Flags looked at"),
        required=False,
        choices=FLAG_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    findings = forms.CharField(
        label=gettext_lazy("Findings"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=gettext_lazy("What you looked at, what you found and what was done about it."),
    )


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class RulesForm(forms.Form):
    """The municipality's thresholds for the flags (AccessReviewRules)."""

    burst_persons = forms.IntegerField(
        label=gettext_lazy("Many persons: how many"), min_value=2, max_value=10_000
    )
    burst_minutes = forms.IntegerField(
        label=gettext_lazy("Many persons: within minutes"), min_value=1, max_value=24 * 60
    )
    night_start = forms.TimeField(label=gettext_lazy("Night starts"), widget=TIME)
    night_end = forms.TimeField(label=gettext_lazy("Night ends"), widget=TIME)
    grace_days = forms.IntegerField(
        label=gettext_lazy("Days after the course ended"), min_value=0, max_value=3650
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def _rules_form(data, municipality_id: int) -> RulesForm:  # noqa: ANN001
    own = AccessReviewRules.objects.filter(municipality_id=municipality_id).first()
    rules = access_review.rules_for(municipality_id)
    initial = {f: getattr(rules, f) for f in access_review.RULE_FIELDS}
    initial["version"] = own.version if own else 0
    return RulesForm(data, initial=initial, prefix="rules")


def _defaults(municipality_id: int) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "municipality": str(municipality_id),
        "start": today.replace(day=1).isoformat(),
        "end": today.isoformat(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def access_review_page(request: HttpRequest) -> HttpResponse:
    """The privacy officer's review of the access log (Normen)."""
    admin_of = request.user.municipality_ids(*access_review.REVIEWER_ROLES)
    if not admin_of:
        raise PermissionDenied
    municipalities = list(Municipality.objects.filter(pk__in=admin_of).order_by("name"))
    data = request.GET.copy()
    for key, value in _defaults(municipalities[0].pk).items():
        if not data.get(key):
            data[key] = value
    form = ReviewFilterForm(data, municipalities=municipalities)
    valid = form.is_valid()
    municipality_id = form.cleaned_data["municipality"] if valid else municipalities[0].pk
    municipality = next(m for m in municipalities if m.pk == municipality_id)

    setting_rules = request.method == "POST" and "rules-version" in request.POST
    record_form = AccessReviewForm(
        request.POST if request.method == "POST" and not setting_rules else None,
        initial={"month": (form.cleaned_data["start"] if valid else timezone.localdate())},
    )
    rules_form = _rules_form(request.POST if setting_rules else None, municipality.pk)
    if setting_rules and rules_form.is_valid():
        values = dict(rules_form.cleaned_data)
        with service_errors(rules_form) as outcome:
            access_review.access_review_rules_set(
                municipality=municipality, by=request.user, **values
            )
        if outcome.ok:
            messages.success(request, _("The thresholds were saved."))
            return redirect(f"{request.path}?{request.GET.urlencode()}")
    if request.method == "POST" and not setting_rules and record_form.is_valid():
        try:
            access_review.access_review_record(
                municipality=municipality,
                month=record_form.cleaned_data["month"],
                by=request.user,
                findings=record_form.cleaned_data["findings"],
                flags_checked=record_form.cleaned_data["flags_checked"],
            )
        except ValidationError as exc:
            add_service_errors(record_form, exc)
        else:
            messages.success(request, _("The review was recorded."))
            return redirect(f"{request.path}?{request.GET.urlencode()}")

    review = None
    if valid:
        filters = access_review.ReviewFilter(
            municipality_id=municipality_id,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            username=form.cleaned_data["user"],
            action=form.cleaned_data["action"],
            person=form.cleaned_data["person"],
            course=form.cleaned_data["course"],
            flag=form.cleaned_data["flag"],
        )
        review = access_review.load_review(filters)
        if request.GET.get("export") == "csv":
            return _export(request, municipality_id, review, dict(request.GET))
    page = Paginator(review.rows if review else [], 50).get_page(request.GET.get("page"))
    if review is not None:
        access_review.audit_review_read(
            user=request.user, municipality_id=municipality_id, rows=list(page)
        )
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return render(
        request,
        "tenancy/access_review.html",
        {
            "form": form,
            "record_form": record_form,
            "review": review,
            "summary": [
                (access_review.FLAG_LABELS[f], f, review.summary[f]) for f in access_flags.FLAGS
            ]
            if review
            else [],
            "page": page,
            "querystring_without_page": params.urlencode(),
            "municipality": municipality,
            "records": AccessReview.objects.filter(municipality_id=municipality_id)
            .select_related("reviewed_by")
            .order_by("-month")[:24],
            "rules": access_review.rules_for(municipality.pk),
            "rules_form": rules_form,
            "flag_labels": dict(FLAG_CHOICES),
        },
        status=200 if valid or not request.GET else 400,
    )


EXPORT_COLUMNS = [
    "at",
    "username",
    "action",
    "record_type",
    "record_id",
    "person_kind",
    "person_id",
    "person_name",
    "flags",
    "via",
    "ip_address",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export(
    request: HttpRequest, municipality_id: int, review: access_review.Review, filters: dict
) -> StreamingHttpResponse:
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        municipality_id=municipality_id,
        object_type="tenancy.auditentry",
        object_repr="access-review.csv",
        changes={"filters": filters, "rows": len(review.rows)},
    )
    writer = csv.writer(_Echo())

    def rows():  # noqa: ANN202
        yield writer.writerow(EXPORT_COLUMNS)
        for r in review.rows:
            yield writer.writerow(
                [
                    r.at.isoformat(),
                    neutralise(r.username),
                    r.action,
                    r.object_type,
                    neutralise(r.object_id),
                    r.person[0] if r.person else "",
                    r.person[1] if r.person else "",
                    neutralise(r.person_name),
                    " ".join(f for f in access_flags.FLAGS if f in r.flags),
                    neutralise(r.via),
                    r.ip_address,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="access-review-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response
