"""The catalogue's pages. Public (no sign-in, no personal data, cached rows): the national
search ``/tilbud/``, one page per municipality and an offer's page. Managers: their
municipality's entries, made from the programmes, group offers and providers or from scratch,
and published; the hand-over of an ended course to an offer. Organisations (signed in by the
grants' e-mailed link): their own peer groups and courses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kobling.catalogue import selectors, services
from kobling.catalogue.forms import NewOfferForm, OfferForm, OrganisationOfferForm, SearchForm
from kobling.catalogue.models import CourseHandover, Offer
from kobling.core.access import managed_municipality_ids, require_manager
from kobling.core.views import add_service_errors, get_visible_or_404, service_errors
from kobling.grants.portal import signed_in_contact
from kobling.groups.models import GroupOffer
from kobling.lib.errors import ConflictError
from kobling.providers.models import ActivityProvider
from kobling.referrals.models import Episode
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.models import Municipality, Programme

# --- public pages -------------------------------------------------------------------------------


def _referrable_programmes(request: HttpRequest) -> set[int]:
    """Programmes the signed-in user may refer to (for "refer to this offer"); none for the
    public."""
    user = request.user
    if not user.is_authenticated:
        return set()
    ids = user.municipality_ids(*MANAGER_ROLES, Role.REFERRER)
    if not ids:
        return set()
    return set(
        Programme.objects.filter(municipality__in=sorted(ids), is_active=True).values_list(
            "pk", flat=True
        )
    )


def _search_page(request: HttpRequest, *, municipality: Municipality | None = None) -> HttpResponse:
    raw = request.GET.copy()
    if municipality is not None:
        raw["municipality"] = municipality.code
    facets = selectors.facets()
    form = SearchForm(raw, facets=facets)
    if municipality is not None:
        del form.fields["municipality"]
    form.is_valid()  # unknown choices are dropped below, never an error page
    filters = {k: str(raw.get(k, "")) for k in selectors.FILTERS}
    for name, field in form.fields.items():
        choices = getattr(field, "choices", None)
        if choices is not None and filters.get(name) and filters[name] not in dict(choices):
            filters[name] = ""
    offers = selectors.search(filters)
    return render(
        request,
        "catalogue/search.html",
        {
            "form": form,
            "offers": offers,
            "municipality": municipality,
            "referring": request.GET.get("henvisning") == "1",
            "referrable": _referrable_programmes(request),
            "filtered": any(v for k, v in filters.items() if k != "municipality")
            or (municipality is None and filters.get("municipality")),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The national search of published offers."""
    return _search_page(request)


@require_GET
def municipality_page(request: HttpRequest, code: str) -> HttpResponse:
    """One municipality's published offers."""
    municipality = get_object_or_404(Municipality, code=code)
    return _search_page(request, municipality=municipality)


@require_GET
def offer_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One published offer."""
    offer = selectors.public_offer(pk)
    if offer is None:
        raise Http404
    return render(
        request,
        "catalogue/offer.html",
        {
            "offer": offer,
            "referrable": _referrable_programmes(request),
            "referring": request.GET.get("henvisning") == "1",
        },
    )


# --- managers -----------------------------------------------------------------------------------


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    """The municipality's entries, published or not, and what could still be added."""
    require_manager(request.user)
    managed = sorted(managed_municipality_ids(request.user))
    offers = (
        Offer.objects.visible_to(request.user)
        .select_related("municipality", "partner")
        .order_by("municipality__name", "kind", "title")
    )
    sources = {
        "programme": Programme.objects.filter(
            municipality__in=managed, is_active=True, catalogue_offers__isnull=True
        ).order_by("name"),
        "group": GroupOffer.objects.filter(
            municipality__in=managed, is_active=True, catalogue_offers__isnull=True
        ).order_by("title"),
        "provider": ActivityProvider.objects.filter(
            municipality__in=managed, is_active=True, catalogue_offers__isnull=True
        ).order_by("name"),
    }
    return render(request, "catalogue/manage.html", {"offers": offers, "sources": sources})


SOURCES = {"programme": Programme, "group": GroupOffer, "provider": ActivityProvider}


@login_required
@require_POST
def offer_from_source(request: HttpRequest) -> HttpResponse:
    """Make a draft entry from a programme, a group offer or a provider of one's municipality."""
    require_manager(request.user)
    kind, _sep, pk = request.POST.get("source", "").partition(":")
    model = SOURCES.get(kind)
    if model is None or not pk.isdigit():
        raise Http404
    source = get_object_or_404(
        model.objects.all(),
        pk=int(pk),
        municipality__in=sorted(managed_municipality_ids(request.user)),
    )
    offer = services.offer_from_source(by=request.user, source=source)
    messages.success(request, _("A draft was made from it. Complete it, then publish it."))
    return redirect("web:catalogue_offer_edit", pk=offer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    """A manager's new entry."""
    require_manager(request.user)
    managed = sorted(managed_municipality_ids(request.user))
    form = NewOfferForm(request.POST or None, managed=managed)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(
                by=request.user,
                municipality=form.cleaned_data["municipality"],
                kind=form.cleaned_data["kind"],
                partner=form.cleaned_data["partner"],
                data=form.data_kwargs(),
                target_groups=form.cleaned_data["target_groups"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The offer was saved. It is not published yet."))
            return redirect("web:catalogue_offer_edit", pk=offer.pk)
    return render(request, "catalogue/offer_form.html", {"form": form, "offer": None})


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an entry (with the version read) and publish or withdraw it."""
    offer = get_visible_or_404(
        request, Offer.objects.select_related("municipality", "partner"), action="change", pk=pk
    )
    form = OfferForm(request.POST or None, offer=offer)
    if request.method == "POST" and form.is_valid():
        with service_errors(form) as outcome:
            services.offer_update(
                offer=offer,
                by=request.user,
                data=form.data_kwargs(),
                target_groups=form.cleaned_data["target_groups"],
                expected_version=form.cleaned_data.get("version"),
            )
        if outcome.ok:
            messages.success(request, _("Changes saved."))
            return redirect("web:catalogue_offer_edit", pk=offer.pk)
    return render(request, "catalogue/offer_form.html", {"form": form, "offer": offer})


@login_required
@require_POST
def offer_publish(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_visible_or_404(request, Offer.objects.all(), action="change", pk=pk)
    version = request.POST.get("version", "")
    try:
        services.offer_publish(
            offer=offer,
            by=request.user,
            publish=request.POST.get("publish") == "1",
            expected_version=int(version) if version.isdigit() else None,
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(
            request,
            _("Complete the offer before it is published: %(fields)s")
            % {"fields": "; ".join(m for ms in exc.message_dict.values() for m in ms)}
            if hasattr(exc, "error_dict")
            else " ".join(exc.messages),
        )
    else:
        messages.success(
            request,
            _("The offer is published.")
            if offer.is_published is False
            else _("The offer was withdrawn."),
        )
    return redirect("web:catalogue_offer_edit", pk=offer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """Point an ended course's hand-over to a catalogue offer."""
    episode = get_visible_or_404(
        request,
        Episode.objects.select_related("participant", "programme"),
        action="change",
        audit=True,
        pk=pk,
    )
    current = CourseHandover.objects.filter(episode=episode).select_related("offer").first()
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("offer", "")
        offer = (
            Offer.objects.filter(pk=int(chosen), is_published=True).first()
            if chosen.isdigit()
            else None
        )
        if offer is None:
            error = _("Choose an offer that is published in the catalogue.")
        else:
            try:
                services.handover_set(episode=episode, offer=offer, by=request.user)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(
                    request, _("The hand-over points to %(offer)s.") % {"offer": offer}
                )
                return redirect("web:episode_timeline", pk=episode.pk)
    filters = {"q": request.GET.get("q", ""), "target_group": request.GET.get("target_group", "")}
    offers = selectors.search(filters)
    return render(
        request,
        "catalogue/handover.html",
        {
            "episode": episode,
            "current": current,
            "offers": offers,
            "error": error,
            "q": filters["q"],
            "target_group": filters["target_group"],
            "target_groups": selectors.facets()["target_groups"],
        },
        status=400 if error else 200,
    )


# --- organisations ------------------------------------------------------------------------------


def _own_offer(request: HttpRequest, pk: int) -> tuple[Any, Offer]:
    contact = signed_in_contact(request)
    offer = get_object_or_404(
        Offer.objects.all(),
        pk=pk,
        partner_id=contact.partner_id,
        municipality_id=contact.municipality_id,
    )
    return contact, offer


@require_GET
def org_home(request: HttpRequest) -> HttpResponse:
    """The organisation's own entries in the catalogue."""
    contact = signed_in_contact(request)
    offers = Offer.objects.filter(
        partner_id=contact.partner_id, municipality_id=contact.municipality_id
    ).order_by("title")
    return render(request, "catalogue/org_home.html", {"contact": contact, "offers": offers})


@require_http_methods(["GET", "POST"])
def org_create(request: HttpRequest) -> HttpResponse:
    contact = signed_in_contact(request)
    form = OrganisationOfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_create_for_organisation(
                contact=contact,
                kind=form.cleaned_data["kind"],
                data=form.data_kwargs(),
                target_groups=form.cleaned_data["target_groups"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved. The municipality publishes it in the catalogue."))
            return redirect("web:catalogue_org_home")
    return render(
        request, "catalogue/org_form.html", {"form": form, "contact": contact, "offer": None}
    )


@require_http_methods(["GET", "POST"])
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact, offer = _own_offer(request, pk)
    form = OrganisationOfferForm(request.POST or None, offer=offer)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_update_for_organisation(
                offer=offer,
                contact=contact,
                data=form.data_kwargs(),
                target_groups=form.cleaned_data["target_groups"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Saved. The municipality publishes it in the catalogue again.")
            )
            return redirect("web:catalogue_org_home")
    return render(
        request, "catalogue/org_form.html", {"form": form, "contact": contact, "offer": offer}
    )
