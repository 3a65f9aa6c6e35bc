"""The register's pages: the monitoring page of participation and completion (and its CSV, and
its funnel plot), the denominators' import, the public list of offers by diagnosis and county,
the quality-register extracts, and the units' own pages — their offers (versioned edits) and
registering their courses."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kobling.core import charts as core_charts
from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.lib.counties import COUNTY_TILES
from kobling.lib.spreadsheet import neutralise
from kobling.outcomes.choices import FOLLOW_UP_MONTHS
from kobling.referrals.models import Episode
from kobling.rehab import calc, charts, extracts, selectors, services
from kobling.rehab.choices import HEART_REFERENCE_RATE, AgeBand, DiagnosisGroup, Sex
from kobling.rehab.forms import CourseRegisterForm, DenominatorImportForm, OfferForm
from kobling.rehab.models import UNIT_STAFF_ROLES, Denominator, RehabCourse, RehabOffer
from kobling.rehab.registers import REGISTERS
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, ProgrammeKind


def _report(request: HttpRequest) -> tuple[selectors.Filters, dict[str, str], list[dict]]:
    if not selectors.may_see_participation(request.user):
        raise PermissionDenied
    filters, errors = selectors.parse_filters(request.GET)
    rows = [] if errors else selectors.participation(user=request.user, filters=filters)
    return filters, errors, rows


@login_required
@require_GET
def participation_page(request: HttpRequest) -> HttpResponse:
    filters, errors, rows = _report(request)
    labels = dict(DiagnosisGroup.choices)
    flags = {
        "high_998": _("Above the 99.8 per cent limit"),
        "high_95": _("Above the 95 per cent limit"),
        "low_95": _("Below the 95 per cent limit"),
        "low_998": _("Below the 99.8 per cent limit"),
    }
    for row in rows:
        row["flag_label"] = flags.get(row["funnel_flag"], "")
        row["followups"] = [
            {part: row[f"followup_{m}_{part}"] for part in ("due", "answered", "active")}
            for m in FOLLOW_UP_MONTHS
        ]
        row["diagnosis_label"] = labels.get(row["diagnosis"], row["diagnosis"])
        rate = row["participation_rate"]
        # A bar of 200 px for 100 %, drawn only for a shown rate.
        row["bar_width"] = min(200, round(rate * 2)) if isinstance(rate, float) else None
        row["below_reference"] = (
            row["diagnosis"] == DiagnosisGroup.CORONARY
            and isinstance(rate, float)
            and rate < HEART_REFERENCE_RATE
        )
    return render(
        request,
        "rehab/participation.html",
        {
            "funnels": _funnels(request, filters, rows, labels),
            "trend": _trend(request, filters, labels),
            "filters": filters,
            "errors": errors,
            "rows": rows,
            "diagnoses": DiagnosisGroup.choices,
            "sexes": Sex.choices,
            "age_bands": AgeBand.choices,
            "reference": HEART_REFERENCE_RATE,
            "reference_x": HEART_REFERENCE_RATE * 2,
            "followup_months": FOLLOW_UP_MONTHS,
            "query": request.GET.urlencode(),
        },
    )


def _trend(request: HttpRequest, filters: selectors.Filters, labels: dict) -> str | None:
    """Participation in Norway per diagnosis group over the quarters (the chosen diagnosis, sex
    and age band), with the 30 % that fewer than a third of heart patients reach drawn as the
    reference line. Suppressed quarters break a line. None with fewer than two quarters."""
    rows = selectors.participation(
        user=request.user,
        filters=selectors.Filters(
            diagnosis=filters.diagnosis,
            level="national",
            grain="quarter",
            sex=filters.sex,
            age_band=filters.age_band,
        ),
    )
    periods = sorted({r["period"] for r in rows})
    if len(periods) < 2:
        return None
    series = []
    for diagnosis, label in labels.items():
        rates = {r["period"]: r["participation_rate"] for r in rows if r["diagnosis"] == diagnosis}
        if rates:
            series.append((label, [rates.get(p) for p in periods]))
    series.append(
        (
            _("Reference: %(rate)s %% (heart patients)") % {"rate": HEART_REFERENCE_RATE},
            [HEART_REFERENCE_RATE] * len(periods),
        )
    )
    return core_charts.lines_over_time(
        _("Participation in Norway (%) per quarter"), periods, series
    )


def _funnels(
    request: HttpRequest, filters: selectors.Filters, rows: list[dict], labels: dict
) -> list[dict]:
    """One funnel plot per diagnosis group of the chosen period (units' level only), drawn from
    the rows as the user sees them: a unit whose rate is suppressed is not drawn, and no plot is
    drawn when the national rate itself is suppressed for this choice."""
    if filters.level != "unit" or not filters.period or not rows:
        return []
    national = selectors.participation(
        user=request.user,
        filters=selectors.Filters(
            diagnosis=filters.diagnosis,
            period=filters.period,
            level="national",
            grain=filters.grain,
            sex=filters.sex,
            age_band=filters.age_band,
        ),
    )
    rates = {r["diagnosis"]: r["participation_rate"] for r in national}
    funnels = []
    for diagnosis, label in labels.items():
        rate = rates.get(diagnosis)
        shown = [
            r
            for r in rows
            if r["diagnosis"] == diagnosis
            and isinstance(r["participation_rate"], float)
            and isinstance(r["eligible"], int)
            and r["eligible"] > 0
        ]
        if not isinstance(rate, float) or not shown:
            continue
        table = []
        for r in shown:
            limits = (
                [
                    tuple(
                        round(v * 100, 1) for v in calc.funnel_limits(rate / 100, r["eligible"], z)
                    )
                    for z in (calc.Z95, calc.Z998)
                ]
                if 0 < rate < 100
                else [(rate, rate), (rate, rate)]
            )
            table.append({**r, "limits_95": limits[0], "limits_998": limits[1]})
        title = _("Funnel plot: participation in %(diagnosis)s, %(period)s") % {
            "diagnosis": label,
            "period": filters.period,
        }
        points = [
            charts.UnitPoint(
                label=r["unit_name"] or r["unit"],
                eligible=r["eligible"],
                rate=r["participation_rate"],
                flag=r["funnel_flag"],
            )
            for r in shown
        ]
        funnels.append(
            {
                "title": title,
                "diagnosis": label,
                "national_rate": rate,
                "svg": charts.funnel(title, points, rate),
                "rows": table,
            }
        )
    return funnels


@login_required
@require_GET
def participation_csv(request: HttpRequest) -> HttpResponse:
    filters, errors, rows = _report(request)
    if errors:
        return HttpResponse("; ".join(errors.values()), status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rehab-participation.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.ROW_FIELDS)
    for row in rows:
        writer.writerow(
            [
                v if isinstance(v, int | float) or v is None else neutralise(str(v))
                for v in (row[name] for name in selectors.ROW_FIELDS)
            ]
        )
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="rehab.participation",
        object_repr="participation report",
        changes={"format": "csv", "filters": request.GET.urlencode()},
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def denominator_import_page(request: HttpRequest) -> HttpResponse:
    if Denominator.visibility_q(request.user, "change") is None:
        raise PermissionDenied
    report = None
    if request.method == "POST":
        form = DenominatorImportForm(request.POST, request.FILES)
        if form.is_valid():
            report = services.denominators_import(
                by=request.user,
                data=form.cleaned_data["file"].read(),
                source=form.cleaned_data["source"],
            )
    else:
        form = DenominatorImportForm()
    return render(request, "rehab/denominator_import.html", {"form": form, "report": report})


@require_GET
def public_offers_page(request: HttpRequest) -> HttpResponse:
    """No sign-in: offers describe services, never persons."""
    diagnosis = request.GET.get("diagnose", "")
    diagnosis = diagnosis if diagnosis in DiagnosisGroup.values else ""
    county = request.GET.get("fylke", "")
    county = county if county in COUNTY_TILES else ""
    offers = list(selectors.public_offers(diagnosis=diagnosis or None, county=county or None))
    labels = dict(DiagnosisGroup.choices)
    for offer in offers:
        offer.county_name = COUNTY_TILES[offer.county_code][2]
        offer.diagnosis_labels = [labels[d] for d in offer.diagnoses]
    counts = selectors.offer_counts()
    return render(
        request,
        "rehab/public_offers.html",
        {
            "offers": offers,
            "diagnosis": diagnosis,
            "county": county,
            "diagnoses": [
                (code, label, counts.get(code, 0)) for code, label in DiagnosisGroup.choices
            ],
            "counties": sorted(((c, t[2]) for c, t in COUNTY_TILES.items()), key=lambda x: x[1]),
        },
    )


# --- the quality-register extracts --------------------------------------------------------------


@login_required
@require_GET
def extracts_page(request: HttpRequest) -> HttpResponse:
    persons = extracts.may_download_persons(request.user)
    aggregates = extracts.may_download_aggregates(request.user)
    if not (persons or aggregates):
        raise PermissionDenied
    return render(
        request,
        "rehab/extracts.html",
        {
            "registers": list(REGISTERS.values()),
            "persons": persons,
            "aggregates": aggregates,
            "columns": list(extracts.PERSON_COLUMNS),
        },
    )


def extract_response(found: extracts.PersonExtract) -> HttpResponse:
    """The unit's extract as a CSV download; how many courses were left out in headers."""
    response = HttpResponse(found.csv(), content_type="text/csv; charset=utf-8")
    day = timezone.localdate()
    response["Content-Disposition"] = (
        f'attachment; filename="rehab-{found.register.slug}-{day:%Y-%m-%d}.csv"'
    )
    response["X-Left-Out-Without-Consent"] = str(found.without_consent)
    response["X-Left-Out-Without-National-Id"] = str(found.without_national_id)
    return response


def _chosen(slug: str):  # noqa: ANN202
    try:
        return REGISTERS[slug]
    except KeyError:
        raise Http404 from None


@login_required
@require_GET
def person_extract_csv(request: HttpRequest, register: str) -> HttpResponse:
    """The unit's extract keyed by national identity number: its managers only; audited."""
    chosen = _chosen(register)
    if not extracts.may_download_persons(request.user):
        raise PermissionDenied
    return extract_response(extracts.person_extract(user=request.user, register=chosen))


@login_required
@require_GET
def aggregate_extract_csv(request: HttpRequest, register: str) -> HttpResponse:
    chosen = _chosen(register)
    if not extracts.may_download_aggregates(request.user):
        raise PermissionDenied
    rows = extracts.aggregate_extract(user=request.user, register=chosen)
    response = HttpResponse(
        extracts.write_csv(extracts.AGGREGATE_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="rehab-{chosen.slug}-aggregat.csv"'
    audit_log(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="rehab.aggregate_extract",
        object_repr=f"{chosen.slug} aggregate extract",
        changes={"format": "csv", "register": chosen.slug},
    )
    return response


# --- the units' own pages: offers and registering courses --------------------------------------


@login_required
@require_GET
def unit_register_page(request: HttpRequest) -> HttpResponse:
    """The register of the user's units: their offers (managers change them) and the courses of
    their rehabilitation programmes — registered, and waiting to be registered. A course names
    its patient, so the listed courses are audited as read."""
    units = request.user.municipality_ids(*UNIT_STAFF_ROLES)
    if not units:
        raise PermissionDenied
    offers = list(
        RehabOffer.objects.filter(municipality_id__in=units).select_related("municipality")
    )
    managed = request.user.municipality_ids(*MANAGER_ROLES)
    for offer in offers:
        offer.may_change = offer.municipality_id in managed
    waiting = list(_registrable(request.user).order_by("-opened_on", "-pk")[:200])
    registered = list(
        RehabCourse.objects.filter(municipality_id__in=units)
        .select_related("episode__participant", "municipality", "offer")
        .order_by("-index_date", "-pk")[:200]
    )
    audit_list_read(user=request.user, objects=waiting)
    audit_list_read(user=request.user, objects=registered)
    return render(
        request,
        "rehab/unit_register.html",
        {
            "offers": offers,
            "may_add_offer": bool(managed & units),
            "waiting": waiting,
            "registered": registered,
        },
    )


def _registrable(user) -> QuerySet[Episode]:  # noqa: ANN001
    """Courses of the user's units' rehabilitation programmes not yet in the register."""
    return Episode.objects.filter(
        municipality_id__in=user.municipality_ids(*UNIT_STAFF_ROLES),
        programme__kind=ProgrammeKind.REHABILITATION,
        rehab__isnull=True,
    ).select_related("participant", "programme", "municipality")


@login_required
@require_http_methods(["GET", "POST"])
def offer_create_page(request: HttpRequest) -> HttpResponse:
    if not request.user.municipality_ids(*MANAGER_ROLES) & request.user.municipality_ids(
        *UNIT_STAFF_ROLES
    ):
        raise PermissionDenied
    form = OfferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_save(
                by=request.user, municipality=form.cleaned_data["unit"], data=form.offer_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The offer was saved."))
            return redirect("web:rehab_unit_register")
    return render(request, "rehab/offer_form.html", {"form": form, "offer": None})


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_visible_or_404(
        request, RehabOffer.objects.select_related("municipality"), action="change", pk=pk
    )
    form = OfferForm(request.POST or None, instance=offer, user=request.user)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.offer_save(
                by=request.user,
                municipality=offer.municipality,
                data=form.offer_data(),
                offer=offer,
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The offer was saved."))
            return redirect("web:rehab_unit_register")
    return render(request, "rehab/offer_form.html", {"form": form, "offer": offer})


@login_required
@require_http_methods(["GET", "POST"])
def course_register_page(request: HttpRequest, episode_pk: int) -> HttpResponse:
    """Register a rehabilitation course through the same service as the API; the course's
    patient is shown, so the read is audited."""
    if not request.user.municipality_ids(*UNIT_STAFF_ROLES):
        raise PermissionDenied
    episode = get_object_or_404(_registrable(request.user), pk=episode_pk)
    audit_log(user=request.user, action=AuditAction.VIEW, obj=episode)
    form = CourseRegisterForm(request.POST or None, unit_id=episode.municipality_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.rehab_course_register(by=request.user, episode=episode, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The rehabilitation course was registered."))
            return redirect("web:rehab_unit_register")
    return render(request, "rehab/course_register.html", {"form": form, "episode": episode})
