"""Pages for supervision: the overview (managers: every helper's hours and the groups; a helper:
their own hours and groups), a group with its plan, a meeting's attendance, one helper's lines
(managers record individual sessions there) and the programme's pool with its settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.core.access import is_manager, managed_municipality_ids, require_manager
from kobling.core.views import add_service_errors, error_text, get_visible_or_404, service_errors
from kobling.helpers.models import Helper
from kobling.support import selectors, services
from kobling.support.forms import (
    AttendanceForm,
    GroupForm,
    MeetingForm,
    SessionForm,
    SettingsForm,
)
from kobling.support.models import (
    HELPER_ROLES,
    PoolEntry,
    PoolRun,
    SupervisionEntry,
    SupervisionGroup,
    SupervisionMeeting,
    settings_for,
)
from kobling.tenancy.audit import audit_list_read
from kobling.tenancy.models import Programme


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Managers: every helper's hours this year per programme, and the groups. A helper: their
    own hours, groups and coming meetings."""
    user = request.user
    manager = is_manager(user)
    if not manager and not user.municipality_ids(*HELPER_ROLES):
        raise PermissionDenied
    year = _year(request)
    today = timezone.localdate()
    groups = list(
        SupervisionGroup.objects.visible_to(user)
        .select_related("programme", "leader")
        .order_by("-is_active", "name")
    )
    if manager:
        programmes = list(
            Programme.objects.filter(municipality__in=managed_municipality_ids(user)).order_by(
                "name"
            )
        )
        helpers: list[Helper] = []
        for programme in programmes:
            helpers += selectors.helpers_with_allowance(programme, year)
    else:
        programmes = []
        helpers = list(Helper.objects.filter(user=user).select_related("programme"))
    rows = selectors.hours_for(helpers, year)
    audit_list_read(user=user, objects=[r.helper for r in rows])
    meetings = list(
        SupervisionMeeting.objects.visible_to(user)
        .filter(date__gte=today, status="planned")
        .select_related("group")
        .order_by("date", "start_time")[:10]
    )
    from kobling.support.training_forms import open_forms

    return render(
        request,
        "support/home.html",
        {
            "course_forms": [] if manager else open_forms(user, today),
            "year": year,
            "rows": rows,
            "groups": groups,
            "meetings": meetings,
            "programmes": programmes,
            "is_manager": manager,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    form = GroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                by=request.user,
                programme=form.cleaned_data["programme"],
                data=form.group_data(),
                members=form.cleaned_data["members"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The supervision group was created."))
            return redirect("web:supervision_group", group.pk)
    return render(request, "support/group_form.html", {"form": form, "group": None})


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_visible_or_404(request, SupervisionGroup.objects.all(), action="change", pk=pk)
    form = GroupForm(request.POST or None, instance=group, user=request.user)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.group_update(
                group=group,
                by=request.user,
                data=form.group_data(),
                members=form.cleaned_data["members"],
                expected_version=form.cleaned_data["version"],
            )
        if outcome.ok:
            messages.success(request, _("The supervision group was saved."))
            return redirect("web:supervision_group", group.pk)
    return render(request, "support/group_form.html", {"form": form, "group": group})


@login_required
@require_http_methods(["GET", "POST"])
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The group, its members and plan; managers and the leader add meetings here."""
    group = get_visible_or_404(
        request, SupervisionGroup.objects.select_related("programme", "leader"), pk=pk
    )
    can_record = group.permits(request.user, "record")
    form = MeetingForm(request.POST or None) if can_record else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.meeting_plan(group=group, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The meeting was added to the plan."))
                return redirect("web:supervision_group", group.pk)
    members = list(group.members.order_by("last_name", "first_name"))
    audit_list_read(user=request.user, objects=members)
    return render(
        request,
        "support/group_detail.html",
        {
            "group": group,
            "members": members,
            "meetings": list(group.meetings.all()),
            "form": form,
            "can_record": can_record,
            "can_change": group.permits(request.user, "change"),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Who came to a meeting (one tap per member, on a phone); or cancel a planned one."""
    meeting = get_visible_or_404(
        request, SupervisionMeeting.objects.select_related("group"), action="record", pk=pk
    )
    members = list(meeting.group.members.order_by("last_name", "first_name"))
    present = selectors.meeting_present(meeting)
    form = AttendanceForm(
        request.POST or None,
        members=members,
        initial={"present": [str(p) for p in present]},
    )
    if request.method == "POST":
        try:
            if request.POST.get("cancel"):
                services.meeting_cancel(meeting=meeting, by=request.user)
                messages.success(request, _("The meeting was cancelled."))
                return redirect("web:supervision_group", meeting.group_id)
            if form.is_valid():
                services.attendance_record(
                    meeting=meeting, by=request.user, present=form.present_ids()
                )
                messages.success(request, _("The attendance was saved."))
                return redirect("web:supervision_group", meeting.group_id)
        except ValidationError as exc:
            add_service_errors(form, exc)
    audit_list_read(user=request.user, objects=members)
    return render(
        request,
        "support/meeting_attendance.html",
        {"meeting": meeting, "form": form, "today": timezone.localdate()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def helper_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """One helper's supervision in a year; managers record an individual session here."""
    helper = get_visible_or_404(
        request, Helper.objects.select_related("programme"), audit=True, pk=pk
    )
    manager = is_manager(request.user, helper.municipality_id)
    year = _year(request)
    form = SessionForm(request.POST or None) if manager else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.session_record(helper=helper, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The session was recorded."))
                return redirect("web:supervision_helper", helper.pk)
    start, end = selectors.year_bounds(year)
    lines = list(
        SupervisionEntry.objects.filter(helper=helper, date__gte=start, date__lte=end)
        .select_related("meeting__group", "correction")
        .order_by("-date", "-pk")
    )
    pool = list(PoolEntry.objects.filter(helper=helper, year=year).order_by("pk"))
    return render(
        request,
        "support/helper_lines.html",
        {
            "helper": helper,
            "hours": selectors.hours_for([helper], year)[0],
            "lines": lines,
            "pool": pool,
            "year": year,
            "form": form,
            "is_manager": manager,
        },
    )


@login_required
@require_POST
def entry_correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_visible_or_404(request, SupervisionEntry.objects.all(), action="change", pk=pk)
    try:
        services.entry_correct(entry=entry, by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The line was corrected."))
    return redirect("web:supervision_helper", entry.helper_id)


@login_required
@require_http_methods(["GET", "POST"])
def pool(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme's pool: its settings, share-outs and every line of its ledger."""
    programme = get_object_or_404(Programme, pk=pk)
    require_manager(request.user)
    if not is_manager(request.user, programme.municipality_id):
        raise Http404
    current = settings_for(programme)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if request.POST.get("share_out"):
            today = timezone.localdate()
            try:
                services.pool_share_out(
                    programme=programme, year=today.year, by=request.user, on=today
                )
            except ValidationError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(request, _("The unused hours were returned and shared out."))
            return redirect("web:supervision_pool", programme.pk)
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in services.SETTINGS_FIELDS}
            with service_errors(form) as outcome:
                services.settings_save(
                    programme=programme,
                    by=request.user,
                    data=data,
                    expected_version=form.cleaned_data.get("version"),
                )
            if outcome.ok:
                messages.success(request, _("The settings were saved."))
                return redirect("web:supervision_pool", programme.pk)
    runs = list(PoolRun.objects.filter(programme=programme).order_by("-year"))
    lines = list(
        PoolEntry.objects.filter(programme=programme)
        .select_related("helper")
        .order_by("-year", "kind", "helper__last_name")
    )
    year = timezone.localdate().year
    return render(
        request,
        "support/pool.html",
        {
            "programme": programme,
            "form": form,
            "runs": runs,
            "lines": lines,
            "return_date": current.return_date(year),
            "shared_this_year": any(r.year == year for r in runs),
        },
    )


def _evaluation_page(request: HttpRequest, runs, **context) -> HttpResponse:  # noqa: ANN001
    from kobling.support.kirkpatrick_load import evaluation, report
    from kobling.support.training_forms import ITEM_LABELS

    found = report(evaluation(runs, timezone.localdate()))
    for level in ("reaction", "learning"):
        for row in found[level]["items"]:
            row["label"] = ITEM_LABELS[row["item"]]
    return render(request, "support/run_evaluation.html", {**context, "found": found})


@login_required
@require_GET
def run_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """Kirkpatrick's four levels for a course run, under the small-cell rule: reaction and
    learning from the trainees' forms, behaviour and results from the data. The run's
    municipality's managers and its course provider's staff (their own trainees)."""
    from kobling.courses.models import CourseRun
    from kobling.support.training_forms import due_form

    run = get_visible_or_404(
        request, CourseRun.objects.select_related("template", "provider"), pk=pk
    )
    return _evaluation_page(
        request,
        [run.pk],
        run=run,
        provider=run.provider,
        due=due_form(run, timezone.localdate()),
    )


@login_required
@require_POST
def run_forms_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the run's due form (before or after the course) now, to the trainees who have had
    no link to it: the municipality's managers and the provider's staff."""
    from kobling.courses.models import CourseRun
    from kobling.support.training_forms import forms_send

    run = get_visible_or_404(request, CourseRun.objects.all(), pk=pk)
    form, queued = forms_send(run=run, by=request.user, now=timezone.now())
    if form is None:
        messages.error(request, _("No form is due for this course run now."))
    else:
        messages.success(request, _("Links sent: %(n)s.") % {"n": queued.sent})
        if queued.no_address or queued.over_limit:
            messages.warning(
                request,
                _("No link to: %(names)s.")
                % {"names": ", ".join(queued.no_address + queued.over_limit)},
            )
    return redirect("web:support_run_evaluation", pk=run.pk)


@login_required
@require_GET
def provider_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """The four levels across a course provider's runs: the provider's staff see all of its
    runs (their own trainees); a municipality's managers the runs their municipality bought."""
    from kobling.courses.models import CourseProvider, CourseRun

    provider = get_visible_or_404(request, CourseProvider.objects.all(), pk=pk)
    if CourseRun.visibility_q(request.user, "view") is None:
        raise PermissionDenied
    runs = list(
        CourseRun.objects.visible_to(request.user)
        .filter(provider=provider)
        .select_related("template")
        .order_by("-starts_on", "pk")
    )
    return _evaluation_page(request, [r.pk for r in runs], provider=provider, provider_runs=runs)


@require_http_methods(["GET", "POST"])
def training_form(request: HttpRequest, token: str) -> HttpResponse:
    """Reached from the e-mail, without signing in: the course form's questions (1–5) and, after
    the course, a comment. A GET changes nothing; the answer is saved once."""
    from kobling.core.confirmation_links import confirmation_page
    from kobling.support import training_forms

    def answer(link, request: HttpRequest):  # noqa: ANN001, ANN202
        return training_forms.form_answer(
            link=link,
            scores=training_forms.parse_scores(link.form, request.POST),
            comment=request.POST.get("comment", ""),
        )

    return confirmation_page(
        request,
        token,
        training_forms.LINKS,
        templates=(
            "support/training_form.html",
            "support/training_form_closed.html",
            "support/training_form_done.html",
        ),
        context=training_forms.form_of,
        answer=answer,
        error_text=error_text,
    )


@login_required
@require_http_methods(["GET", "POST"])
def own_training_form(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """A signed-in helper answers their own course form (the same questions as the link's):
    only their own enrolment, only the form due now, once."""
    from kobling.courses.models import Enrolment
    from kobling.support import training_forms

    enrolment = get_object_or_404(
        Enrolment.objects.select_related("helper", "run__template", "run__provider"),
        pk=pk,
        helper__user=request.user,
    )
    if form not in ("before", "after"):
        raise Http404
    run = enrolment.run
    page = {
        "first_name": enrolment.helper.first_name,
        "course": run.template.name,
        "provider": run.provider.name,
        "before": form == "before",
        "items": [(i, training_forms.ITEM_LABELS[i]) for i in training_forms.items_of(form)],
        "scale": training_forms.SCALE,
    }
    if not any(
        e.pk == enrolment.pk and f == form
        for e, f in training_forms.open_forms(request.user, timezone.localdate())
    ):
        page["closed"] = True
        page["error"] = _("This form cannot be answered now, or is already answered.")
    elif request.method == "POST":
        try:
            training_forms.own_answer(
                enrolment=enrolment,
                form=form,
                by=request.user,
                scores=training_forms.parse_scores(form, request.POST),
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as exc:
            page["error"] = error_text(exc)
        else:
            messages.success(request, _("Your answers are saved."))
            return redirect("web:supervision_home")
    return render(request, "support/training_form.html", page)
