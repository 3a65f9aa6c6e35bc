"""The referral API: referrals (create, read, correct), decisions and their letters, consent,
merge and withdrawal, the waiting list, supply against demand, and participants.

Who sees what: coordinators and municipal admins see their municipality's referrals; a referrer
sees only the referrals they made (without the coordinators' notes, and decision reasons only
within the participant's consent); training contacts, course providers and the national analyst
get 403; a referral outside the caller's visible set is 404."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.access import is_manager, managed_municipality_ids, require_manager
from kobling.core.filters import BaseFilterSet
from kobling.core.viewsets import ScopedPermission, ScopedViewSetMixin, ScopedWritableViewSet
from kobling.referrals import services
from kobling.referrals.filtersets import ReferralFilterSet, WaitingListFilterSet
from kobling.referrals.letters import decision_letter_pdf, letter_filename, letter_language
from kobling.referrals.models import BenefitCheck, Consent, Decision, Participant, Referral
from kobling.referrals.selectors import (
    can_see_decision_details,
    participant_list_queryset,
    prefetch_benefit_checks,
    referral_list_queryset,
    supply_demand,
    waiting_list_queryset,
)
from kobling.referrals.serializers import (
    BenefitCheckSerializer,
    ConsentSerializer,
    ConsentWithdrawSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    DecisionSummarySerializer,
    MergeSerializer,
    ParticipantListSerializer,
    ReferralSerializer,
    ReferrerReferralSerializer,
    SupplyDemandSerializer,
    WaitingListEntrySerializer,
    WithdrawSerializer,
)
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import MANAGER_ROLES, AuditAction, Role
from kobling.tenancy.models import Programme


def _is_id(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` accepts "²", which ``int`` then refuses (a 500)."""
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


class ReferralPermission(ScopedPermission):
    """Referrers may create referrals (they can never change one afterwards)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(view, "action", None) == "create":
            user = request.user
            return bool(
                user
                and user.is_authenticated
                and user.municipality_ids(*MANAGER_ROLES, Role.REFERRER)
            )
        return super().has_permission(request, view)


class PdfRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``Accept: application/pdf``; errors still come as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


def _referral_view(many: bool = False) -> PolymorphicProxySerializer:
    """A referral in the shape of the reader: the coordinators' in full, the referrer's
    without the coordinators' notes and working data (ReferrerReferral)."""
    return PolymorphicProxySerializer(
        component_name="ReferralView",
        serializers=[ReferralSerializer, ReferrerReferralSerializer],
        resource_type_field_name=None,
        many=many,
    )


class ReferralViewSet(
    ScopedWritableViewSet,
):
    """Referrals and applications. Referrers create them and read their own; coordinators
    receive, correct (PATCH with ``version``), decide, merge and withdraw."""

    queryset = Referral.objects.all()
    serializer_class = ReferralSerializer
    permission_classes = [permissions.IsAuthenticated, ReferralPermission]
    filterset_class = ReferralFilterSet
    ordering_fields = ["priority", "received_at", "granted_at", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    audit_reads = True

    def optimize(self, queryset: QuerySet) -> QuerySet:
        # A list reads benefit checks only for the rows whose programme requires a benefit.
        return referral_list_queryset(queryset, benefit_checks=self.action != "list")

    def complete_rows(self, rows: list[Referral]) -> None:
        prefetch_benefit_checks(rows)

    def get_serializer_class(self):  # noqa: ANN201
        return MergeSerializer if self.action == "merge" else ReferralSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["detail"] = self.action in {"retrieve", "create", "partial_update", "update"}
        return context

    def _fresh(self, referral: Referral) -> Referral:
        return referral_list_queryset(Referral.objects.filter(pk=referral.pk)).get()

    @extend_schema(responses=_referral_view(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=_referral_view())
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ReferralSerializer, responses={201: _referral_view()})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: ReferralSerializer) -> None:
        attrs = dict(serializer.validated_data)
        programme = attrs.pop("programme")
        person = attrs.pop("participant")
        attrs.pop("version", None)
        parts = serializer.split(attrs)
        try:
            referral = services.referral_create(
                by=self.request.user,
                programme=programme,
                person=person,
                data=parts["data"],
                target_groups=parts["target_groups"] or (),
                activities=parts["activities"] or (),
                times=parts["times"] or (),
                consents=parts["consents"],
                channel="api",
            )
        except services.DuplicateReferral as exc:
            detail: dict[str, Any] = dict(exc.message_dict)
            existing = exc.existing
            if existing.permits(self.request.user, "view"):
                detail["existing_referral"] = [str(existing.pk)]
            raise ValidationError(detail) from None
        serializer.instance = self._fresh(referral)

    def perform_update(self, serializer: ReferralSerializer) -> None:
        attrs = dict(serializer.validated_data)
        version = attrs.pop("version")
        parts = serializer.split(attrs)
        referral = services.referral_update(
            referral=serializer.instance,
            by=self.request.user,
            data=parts["data"],
            expected_version=version,
            target_groups=parts["target_groups"],
            activities=parts["activities"],
            times=parts["times"],
        )
        serializer.instance = self._fresh(referral)

    # --- decisions ----------------------------------------------------------------------------
    @extend_schema(
        request=DecisionInputSerializer,
        responses={201: DecisionSerializer},
        summary="Decide on a referral (granted, refused or more information needed)",
        description=(
            "Reasons are required. Granting a referral that does not meet the programme's "
            "eligibility rules needs `override_reason`. Decisions are never edited; a new one "
            "supersedes. Also answers without the trailing slash."
        ),
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decide(self, request: Request, pk: str | None = None) -> Response:
        referral = self.get_object()
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.referral_decide(
            referral=referral,
            by=request.user,
            outcome=data.validated_data["outcome"],
            reasons=data.validated_data["reasons"],
            priority=data.validated_data.get("priority"),
            decided_on=data.validated_data.get("decided_on"),
            override_reason=data.validated_data.get("override_reason", ""),
            expected_version=data.validated_data.get("version"),
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=PolymorphicProxySerializer(
            component_name="DecisionForRole",
            serializers=[DecisionSerializer, DecisionSummarySerializer],
            resource_type_field_name=None,
            many=True,
        ),
        summary="The referral's decisions, newest first",
        description=(
            "Coordinators see everything. The referrer who made the referral sees the outcome "
            "and date, and the reasons only while the participant's consent to share with the "
            "referrer is in force (shaped as DecisionSummary)."
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="decisions",
        pagination_class=None,
        filter_backends=[],
    )
    def decisions(self, request: Request, pk: str | None = None) -> Response:
        referral = self.get_object()
        audit_log(
            user=request.user, action=AuditAction.VIEW, obj=referral, changes={"part": "decisions"}
        )
        rows = Decision.objects.filter(referral=referral).select_related("decided_by")
        if is_manager(request.user, referral.municipality_id):
            return Response(DecisionSerializer(rows, many=True).data)
        share = can_see_decision_details(request.user, referral)
        return Response(
            DecisionSummarySerializer(rows, many=True, context={"share_details": share}).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "decision",
                int,
                description="An earlier decision's id; the newest decision when left out.",
            ),
            OpenApiParameter("lang", str, enum=["nb", "en"], description="nb (default) or en"),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="The decision letter for the participant, as PDF",
        description=(
            "Norwegian unless `lang=en`. The referrer gets it only while the participant's "
            "consent to share with the referrer is in force."
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="letter",
        renderer_classes=[renderers.JSONRenderer, PdfRenderer],
    )
    def letter(self, request: Request, pk: str | None = None) -> HttpResponse:
        referral = self.get_object()
        if not can_see_decision_details(request.user, referral):
            raise PermissionDenied(
                _("The participant has not consented to share the decision with you.")
            )
        decisions = Decision.objects.filter(referral=referral).select_related(
            "decided_by", "referral__participant", "referral__programme", "municipality"
        )
        wanted = request.query_params.get("decision")
        if wanted:
            if not _is_id(wanted):
                raise ValidationError({"decision": [_("Give a decision id.")]})
            decision = decisions.filter(pk=int(wanted)).first()
        else:
            decision = decisions.order_by("-decided_on", "-id").first()
        if decision is None:
            raise NotFound(_("There is no decision on this referral yet."))
        lang = letter_language(request.query_params.get("lang"))
        audit_log(
            user=request.user,
            action=AuditAction.VIEW,
            obj=decision,
            changes={"part": "letter", "format": "pdf"},
        )
        response = HttpResponse(
            decision_letter_pdf(decision, lang=lang), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{letter_filename(decision)}"'
        return response

    # --- consent ------------------------------------------------------------------------------
    @extend_schema(
        methods=["GET"], responses=ConsentSerializer(many=True), summary="The referral's consents"
    )
    @extend_schema(
        methods=["POST"],
        request=ConsentSerializer,
        responses={201: ConsentSerializer},
        summary="Record a consent",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="consents",
        pagination_class=None,
        filter_backends=[],
    )
    def consents(self, request: Request, pk: str | None = None) -> Response:
        referral = self.get_object()
        if request.method == "GET":
            audit_log(
                user=request.user,
                action=AuditAction.VIEW,
                obj=referral,
                changes={"part": "consents"},
            )
            rows = Consent.objects.filter(referral=referral).select_related("recorded_by")
            return Response(ConsentSerializer(rows, many=True).data)
        data = ConsentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_record(
            referral=referral,
            by=request.user,
            scope=data.validated_data["scope"],
            given_by=data.validated_data.get("given_by", ""),
            given_on=data.validated_data.get("given_on"),
            partner_name=data.validated_data.get("partner_name", ""),
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("consent_id", int, OpenApiParameter.PATH)],
        request=ConsentWithdrawSerializer,
        responses=ConsentSerializer,
        summary="Withdraw a consent: nothing more is shared under it from that day",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"consents/(?P<consent_id>[0-9]+)/withdraw",
        url_name="consent-withdraw",
    )
    def withdraw_consent(
        self, request: Request, pk: str | None = None, consent_id: str | None = None
    ) -> Response:
        referral = self.get_object()
        consent = get_object_or_404(Consent, referral=referral, pk=consent_id)
        data = ConsentWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_withdraw(
            consent=consent, by=request.user, withdrawn_on=data.validated_data.get("withdrawn_on")
        )
        return Response(ConsentSerializer(consent).data)

    # --- benefit checks (Aktiv på dagtid) -----------------------------------------------------
    @extend_schema(
        methods=["GET"],
        responses=BenefitCheckSerializer(many=True),
        summary="The referral's benefit checks, newest first (coordinators and admins)",
    )
    @extend_schema(
        methods=["POST"],
        request=BenefitCheckSerializer,
        responses={201: BenefitCheckSerializer},
        summary="Record which benefit a coordinator has seen the person receives",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="benefit-checks",
        pagination_class=None,
        filter_backends=[],
    )
    def benefit_checks(self, request: Request, pk: str | None = None) -> Response:
        # As the page: the municipality's managers only (a referrer who may read the referral
        # is told "you may not", others do not learn that it exists).
        if Referral.visibility_q(request.user, "change") is None:
            raise PermissionDenied
        referral = self.get_object()
        if not referral.permits(request.user, "change"):
            raise PermissionDenied
        if request.method == "GET":
            audit_log(
                user=request.user,
                action=AuditAction.VIEW,
                obj=referral,
                changes={"part": "benefit_checks"},
            )
            rows = BenefitCheck.objects.filter(referral=referral).select_related("verified_by")
            return Response(BenefitCheckSerializer(rows, many=True).data)
        data = BenefitCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = services.benefit_verify(
            referral=referral,
            by=request.user,
            benefit=data.validated_data["benefit"],
            verified_on=data.validated_data.get("verified_on"),
        )
        return Response(BenefitCheckSerializer(check).data, status=status.HTTP_201_CREATED)

    # --- merge and withdraw -------------------------------------------------------------------
    @extend_schema(
        request=MergeSerializer,
        responses=ReferralSerializer,
        summary="Merge a second referral's information into this open referral",
        description=(
            "Use instead of creating a duplicate: goals, needs and notes are appended, "
            "activities, target groups and times united, the earliest received time kept. "
            "Also answers without the trailing slash."
        ),
    )
    @action(detail=True, methods=["post"], url_path="merge")
    def merge(self, request: Request, pk: str | None = None) -> Response:
        referral = self.get_object()
        data = MergeSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        attrs = dict(data.validated_data)
        attrs.pop("version", None)
        programme = attrs.pop("programme", None)
        person = attrs.pop("participant", None)
        if programme is not None and programme.pk != referral.programme_id:
            raise ValidationError({"programme": [_("A merge keeps the referral's programme.")]})
        if person is not None:
            self._check_same_person(referral, person)
        parts = data.split(attrs)
        merged = services.referral_merge(
            into=referral,
            by=request.user,
            data=parts["data"],
            target_groups=parts["target_groups"] or (),
            activities=parts["activities"] or (),
            times=parts["times"] or (),
            consents=parts["consents"],
            channel="api",
        )
        return Response(
            ReferralSerializer(self._fresh(merged), context=self.get_serializer_context()).data
        )

    @staticmethod
    def _check_same_person(referral: Referral, person: dict[str, Any]) -> None:
        participant = referral.participant
        national_id = person.get("national_id") or ""
        if national_id:
            same = national_id == participant.national_id
        else:
            same = (
                person.get("birth_date") == participant.birth_date
                and (person.get("first_name") or "").strip().casefold()
                == participant.first_name.casefold()
                and (person.get("last_name") or "").strip().casefold()
                == participant.last_name.casefold()
            )
        if not same:
            raise ValidationError(
                {"participant": [_("This is not the person the referral is for.")]}
            )

    @extend_schema(
        request=WithdrawSerializer,
        responses=ReferralSerializer,
        summary="Withdraw a referral (the person no longer wants the offer)",
    )
    @action(detail=True, methods=["post"], url_path="withdraw")
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        referral = self.get_object()
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.referral_withdraw(
            referral=referral,
            by=request.user,
            reason=data.validated_data["reason"],
            expected_version=data.validated_data.get("version"),
        )
        return Response(
            ReferralSerializer(self._fresh(referral), context=self.get_serializer_context()).data
        )


class _UnlistedReferralViewSet(ReferralViewSet):
    """The same actions at their slash-less addresses; left out of the OpenAPI schema, which
    documents them once."""

    schema = None


class WaitingListViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Granted referrals waiting for a contact: highest priority first, then the longest wait.
    For coordinators and municipal admins."""

    queryset = Referral.objects.all()
    serializer_class = WaitingListEntrySerializer
    filterset_class = WaitingListFilterSet
    audit_reads = True

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        require_manager(request.user)

    def optimize(self, queryset: QuerySet) -> QuerySet:
        # Only the municipalities the user manages, never referrals they sent as a referrer.
        managed = sorted(managed_municipality_ids(self.request.user))
        return waiting_list_queryset(queryset.filter(municipality__in=managed))


class ParticipantFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(method="search")
    municipality = django_filters.NumberFilter(field_name="municipality_id")

    class Meta:
        model = Participant
        fields = ["q", "municipality"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = Q()
        for word in value.split():
            q &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        return queryset.filter(q)


class ParticipantViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The people referred, with their referrals. For coordinators and municipal admins."""

    queryset = Participant.objects.all()
    serializer_class = ParticipantListSerializer
    filterset_class = ParticipantFilterSet
    audit_reads = True

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        require_manager(request.user)

    def optimize(self, queryset: QuerySet) -> QuerySet:
        # Only people in municipalities the user manages: someone the user referred elsewhere
        # as a referrer is not listed here with their full details.
        managed = sorted(managed_municipality_ids(self.request.user))
        return participant_list_queryset(queryset.filter(municipality__in=managed))


class SupplyDemandView(APIView):
    """Granted-and-waiting referrals against free contact places, by target group and area."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("municipality", int, description="One of your municipalities."),
            OpenApiParameter("programme", int),
        ],
        responses=SupplyDemandSerializer,
        summary="Supply and demand: waiting referrals against free contact places",
    )
    def get(self, request: Request) -> Response:
        require_manager(request.user)
        ids = managed_municipality_ids(request.user)
        wanted = request.query_params.get("municipality")
        if wanted:
            if not _is_id(wanted) or int(wanted) not in ids:
                raise ValidationError({"municipality": [_("Choose one of your municipalities.")]})
            ids = {int(wanted)}
        programme = None
        wanted = request.query_params.get("programme")
        if wanted:
            programme = (
                Programme.objects.filter(pk=int(wanted), municipality__in=sorted(ids)).first()
                if _is_id(wanted)
                else None
            )
            if programme is None:
                raise ValidationError({"programme": [_("Choose one of your programmes.")]})
        data = supply_demand(ids, programme)
        return Response(SupplyDemandSerializer(data.to_dict()).data)


def register(router) -> None:  # noqa: ANN001
    router.register("referrals", ReferralViewSet, basename="referral")
    router.register("waiting-list", WaitingListViewSet, basename="waiting-list")
    router.register("participants", ParticipantViewSet, basename="participant")


extra_urls: list = [
    path(
        "referrals/<int:pk>/decision",
        _UnlistedReferralViewSet.as_view({"post": "decide"}),
        name="referral-decision-noslash",
    ),
    path(
        "referrals/<int:pk>/merge",
        _UnlistedReferralViewSet.as_view({"post": "merge"}),
        name="referral-merge-noslash",
    ),
    path(
        "referrals/<int:pk>/letter.pdf",
        _UnlistedReferralViewSet.as_view({"get": "letter"}),
        name="referral-letter-pdf",
    ),
    path("supply-demand/", SupplyDemandView.as_view(), name="supply-demand"),
]
