"""The IA statistics page: a municipality's quarters as a table and a chart over time, a quarter
typed, or a CSV file imported all or nothing with its report row by row."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kobling.core.charts import lines_over_time
from kobling.core.views import add_service_errors
from kobling.tenancy.models import Municipality
from kobling.workplace import ia, region, selectors
from kobling.workplace.forms import IAFiguresForm, IAImportForm
from kobling.workplace.models import STAFF_ROLES, IAFigures


def staff_municipality(request: HttpRequest) -> tuple[Municipality, list[Municipality]]:
    """The municipality a workplace staff page is about — ``?m=`` when it is one of the user's,
    else the first by name — and all of them, for the picker
    (``workplace/_municipality_picker.html``). 403 for a user who is staff nowhere."""
    municipalities = selectors.staff_municipalities(request.user)
    if not municipalities:
        raise PermissionDenied
    wanted = request.GET.get("m", "")
    chosen = selectors.chosen_municipality(municipalities, wanted) or municipalities[0]
    return chosen, municipalities


def series_of(rows: list[IAFigures]) -> list[tuple[str, list[int]]]:
    fields = {f.name: f.verbose_name for f in IAFigures._meta.fields}
    return [(str(fields[name]), [getattr(r, name) for r in rows]) for name in ia.IA_MEASURES]


@login_required
@require_http_methods(["GET", "POST"])
def figures(request: HttpRequest) -> HttpResponse:
    municipality, municipalities = staff_municipality(request)
    typed = IAFiguresForm(request.POST if request.POST.get("step") == "typed" else None)
    upload = IAImportForm(
        request.POST if request.POST.get("step") == "import" else None,
        request.FILES if request.POST.get("step") == "import" else None,
    )
    report = None
    if request.method == "POST":
        if request.POST.get("step") == "typed" and typed.is_valid():
            try:
                ia.figures_save(
                    by=request.user, municipality=municipality, values=typed.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(typed, exc)
            else:
                messages.success(request, _("The quarter's figures were saved."))
                return redirect(request.get_full_path())
        elif request.POST.get("step") == "import" and upload.is_valid():
            try:
                report = ia.figures_import(
                    by=request.user,
                    municipality=municipality,
                    content=upload.cleaned_data["file"].read(),
                )
            except ValidationError as exc:
                add_service_errors(upload, exc)
            else:
                if report.ok:
                    messages.success(
                        request, _("%(n)s quarters were imported.") % {"n": report.saved}
                    )
                    return redirect(request.get_full_path())
    rows = list(IAFigures.objects.filter(municipality=municipality).order_by("year", "quarter"))
    return render(
        request,
        "workplace/ia_figures.html",
        {
            "municipality": municipality,
            "municipalities": municipalities,
            "rows": rows,
            "chart": lines_over_time(
                _("IA figures per quarter"), [r.label for r in rows], series_of(rows)
            )
            if rows
            else None,
            "typed": typed,
            "upload": upload,
            "report": report,
        },
    )


@login_required
@require_http_methods(["GET"])
def newsletter(request: HttpRequest) -> HttpResponse:
    """The month's newsletter (page, or PDF with ``format=pdf``) for the staff's municipality."""
    from django.utils import timezone

    from kobling.workplace import newsletter as letters

    municipality, municipalities = staff_municipality(request)
    month = letters.parse_month(request.GET.get("month")) or timezone.localdate().replace(day=1)
    letter = letters.build(municipality, month)
    if request.GET.get("format") == "pdf":
        pdf = letters.newsletter_pdf(letter, user=request.user, lang=request.LANGUAGE_CODE)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="nyhetsbrev-{month:%Y-%m}.pdf"'
        return response
    return render(
        request,
        "workplace/newsletter.html",
        {"letter": letter, "municipality": municipality, "municipalities": municipalities},
    )


@login_required
@require_http_methods(["GET"])
def region_figures(request: HttpRequest) -> HttpResponse:
    """One IA measure over the municipalities of the staff's health region(s): a chart and a
    table, other municipalities under the small-cell rule (workplace/region.py)."""
    if not request.user.municipality_ids(*STAFF_ROLES):
        raise PermissionDenied
    regions = region.regions_for(request.user)
    wanted = request.GET.get("region", "")
    chosen = next((r for r in regions if str(r.pk) == wanted), regions[0] if regions else None)
    measure = request.GET.get("measure", "")
    measure = measure if measure in ia.IA_MEASURES else ia.IA_MEASURES[0]
    figures = region.region_figures(request.user, chosen, measure) if chosen else None
    chart = (
        lines_over_time(
            _("%(measure)s per quarter across %(region)s")
            % {"measure": figures.measure_label, "region": figures.region.name},
            figures.quarters,
            region.chart_series(figures),
        )
        if figures and figures.quarters
        else None
    )
    return render(
        request,
        "workplace/ia_region.html",
        {
            "regions": regions,
            "figures": figures,
            "chart": chart,
            "measures": region.measure_labels(),
        },
    )
