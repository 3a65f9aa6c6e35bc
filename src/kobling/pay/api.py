"""API for pay: timesheets (list, one, note, adjustments, bulk approval, PDF), the payroll CSV
of a month, and expenses (list, one, record with a receipt, change while open, approve, correct,
the receipt itself). Everything is scoped: managers see their municipality's, a training contact
their own, nobody else anything. Reads are audited; writes go through
:mod:`kobling.pay.services`.

Listing timesheets for a ``month`` first rolls that month up (creates the open sheets for
contacts with held sessions and writes pending corrections), so the list is complete."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kobling.core.access import require_manager
from kobling.core.uploads import private_file_response
from kobling.core.versions import require_version
from kobling.core.viewsets import ScopedViewSetMixin
from kobling.followup.models import Pairing
from kobling.helpers.models import Helper
from kobling.pay import ledger, services
from kobling.pay.export import payroll_csv, timesheet_filename, timesheet_pdf
from kobling.pay.models import Expense, Timesheet
from kobling.pay.months import parse_month
from kobling.pay.selectors import (
    ExpenseFilterSet,
    TimesheetFilterSet,
    expense_list_queryset,
    own_helpers,
    roll_up_scope,
    timesheet_list_queryset,
)
from kobling.pay.serializers import (
    AdjustmentRequestSerializer,
    AdjustmentResponseSerializer,
    ApproveRequestSerializer,
    ApproveResponseSerializer,
    ExpenseApproveSerializer,
    ExpenseCorrectSerializer,
    ExpenseCreateSerializer,
    ExpenseSerializer,
    ExpenseUpdateSerializer,
    TimesheetDetailSerializer,
    TimesheetSerializer,
    TimesheetUpdateSerializer,
    timesheet_data,
)
from kobling.tenancy.audit import audit_list_read, audit_log
from kobling.tenancy.choices import AuditAction


class ActionScopeMixin:
    """Each action names the scope it needs ("view", "add", "change", "approve"); the shared
    permission class checks it (403 for a role that can never do it)."""

    action_scopes: dict[str, str] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.scope_action = self.action_scopes.get(self.action or "", None)  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


def _month_param(request: Request):  # noqa: ANN202
    value = request.query_params.get("month")
    if not value:
        return None
    try:
        return parse_month(value, allow_future=True)
    except Exception:  # noqa: BLE001 - the FilterSet reports the error (400)
        return None


MONTH = OpenApiParameter(
    "month", str, description="YYYY-MM; listing a month first rolls it up", required=False
)


class TimesheetViewSet(
    ActionScopeMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Monthly timesheets. Coordinators and municipal admins see their municipality's and approve
    them; a training contact sees their own. Approved timesheets never change."""

    queryset = Timesheet.objects.all()
    serializer_class = TimesheetSerializer
    filterset_class = TimesheetFilterSet
    ordering_fields = ["month", "status", "approved_at"]
    audit_reads = True
    action_scopes = {
        "list": "view",
        "retrieve": "view",
        "pdf": "view",
        "partial_update": "change",
        "adjustments": "change",
        "approve": "approve",
    }

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return timesheet_list_queryset(queryset)

    @extend_schema(parameters=[MONTH], responses=TimesheetSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        month = _month_param(request)
        if month is not None:
            services.timesheet_roll_up(
                helper_ids=roll_up_scope(request.user), by=request.user, month=month
            )
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        audit_list_read(user=request.user, objects=rows)
        views = ledger.sheet_views(rows, with_rows=False)
        data = TimesheetSerializer([timesheet_data(s, views[s.pk]) for s in rows], many=True).data
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def _detail(self, sheet: Timesheet, code: int = status.HTTP_200_OK) -> Response:
        fresh = timesheet_list_queryset(Timesheet.objects.filter(pk=sheet.pk)).get()
        view = ledger.sheet_views([fresh])[fresh.pk]
        return Response(
            TimesheetDetailSerializer(timesheet_data(fresh, view, detail=True)).data, status=code
        )

    @extend_schema(responses=TimesheetDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sheet = self.get_object()
        audit_log(user=request.user, action=AuditAction.VIEW, obj=sheet)
        if not sheet.is_approved:
            services.timesheet_roll_up(helper_ids=[sheet.helper_id], by=request.user)
        return self._detail(sheet)

    @extend_schema(
        request=TimesheetUpdateSerializer,
        responses=TimesheetDetailSerializer,
        summary="Change the note of an open timesheet (400 once approved)",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sheet = self.get_object()
        data = TimesheetUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.timesheet_update(
            timesheet=sheet,
            note=data.validated_data["note"],
            by=request.user,
            expected_version=data.validated_data.get("version"),
        )
        return self._detail(sheet)

    @extend_schema(
        request=AdjustmentRequestSerializer,
        responses={201: AdjustmentResponseSerializer},
        summary="Add an adjustment (± minutes, with the reason) to an open timesheet",
    )
    @action(detail=True, methods=["post"], url_path="adjustments")
    def adjustments(self, request: Request, pk: str | None = None) -> Response:
        sheet = self.get_object()
        data = AdjustmentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.timesheet_add_adjustment(
            timesheet=sheet,
            minutes=data.validated_data.get("minutes"),
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response(
            AdjustmentResponseSerializer(
                {
                    "id": line.pk,
                    "timesheet": sheet.pk,
                    "minutes": line.minutes,
                    "description": line.description,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=ApproveRequestSerializer,
        responses={
            200: ApproveResponseSerializer,
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="ApproveRefused",
                    serializers=[
                        ApproveResponseSerializer,
                        inline_serializer(
                            "ApproveInvalid",
                            {
                                "ids": serializers.JSONField(
                                    help_text="The field's errors: a list of messages, or the "
                                    'messages per position of a bad id ({"0": [...]})'
                                )
                            },
                        ),
                    ],
                    resource_type_field_name=None,
                ),
                description="Nothing was approved: ``results`` says why, per id; or the "
                "request was malformed (``ids`` missing or not a list of ids: the field's errors)",
            ),
        },
        summary="Approve many timesheets at once: all of them, or none",
    )
    @action(detail=False, methods=["post"], url_path="approve")
    def approve(self, request: Request) -> Response:
        data = ApproveRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            sheets = services.timesheets_approve(ids=data.validated_data["ids"], by=request.user)
        except services.ApprovalRefused as refused:
            return Response(
                ApproveResponseSerializer(
                    {
                        "approved": 0,
                        "detail": _("Nothing was approved."),
                        "results": [r.__dict__ for r in refused.results],
                    }
                ).data,
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            ApproveResponseSerializer(
                {
                    "approved": len(sheets),
                    "results": [{"id": s.pk, "ok": True, "reason": ""} for s in sheets],
                }
            ).data
        )

    @extend_schema(
        parameters=[OpenApiParameter("lang", str, enum=["nb", "en"], required=False)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="The timesheet as PDF (sessions, adjustments, expenses, totals)",
    )
    @action(detail=True, methods=["get"], url_path="pdf")
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        sheet = self.get_object()
        audit_log(user=request.user, action=AuditAction.VIEW, obj=sheet, changes={"pdf": True})
        fresh = timesheet_list_queryset(Timesheet.objects.filter(pk=sheet.pk)).get()
        view = ledger.sheet_views([fresh])[fresh.pk]
        response = HttpResponse(
            timesheet_pdf(view, lang=request.query_params.get("lang", "nb")),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'attachment; filename="{timesheet_filename(fresh)}"'
        return response


class PayrollExportView(APIView):
    """The payroll CSV (columns in docs/pay.md) of a month's approved timesheets in the
    municipalities you manage. Holds national identity numbers: managers only, audited."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, required=True, description="YYYY-MM (not in the future)")
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        summary="Payroll export of a month's approved timesheets (CSV)",
    )
    def get(self, request: Request) -> HttpResponse:
        require_manager(
            request.user, message="Only coordinators and municipal administrators can export pay."
        )
        month = parse_month(request.query_params.get("month"))
        content, filename = payroll_csv(user=request.user, month=month)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ExpenseViewSet(
    ActionScopeMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Expenses with receipts. A training contact records and sees their own (and may change
    them until approved); coordinators and municipal admins see, approve and correct their
    municipality's. Approved expenses never change: a correction is a new entry."""

    queryset = Expense.objects.all()
    serializer_class = ExpenseSerializer
    filterset_class = ExpenseFilterSet
    ordering_fields = ["date", "amount", "status", "created_at"]
    audit_reads = True
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]
    action_scopes = {
        "list": "view",
        "retrieve": "view",
        "receipt": "view",
        "create": "add",
        "partial_update": "change",
        "approve": "approve",
        "correct": "approve",
    }

    def optimize(self, queryset):  # noqa: ANN001, ANN201
        return expense_list_queryset(queryset)

    def _respond(self, expense: Expense, code: int = status.HTTP_200_OK) -> Response:
        fresh = expense_list_queryset(Expense.objects.filter(pk=expense.pk)).get()
        return Response(ExpenseSerializer(fresh).data, status=code)

    def _pairing(self, pairing_id: int | None) -> Pairing | None:
        if not pairing_id:
            return None
        pairing = (
            Pairing.objects.visible_to(self.request.user, "view").filter(pk=pairing_id).first()
        )
        if pairing is None:
            raise ValidationError({"pairing": [_("No such pairing.")]})
        return pairing

    def _helper(self, helper_id: int | None) -> Helper:
        user = self.request.user
        if helper_id:
            helper = Helper.objects.visible_to(user, "view").filter(pk=helper_id).first()
            if helper is None:
                raise ValidationError({"helper": [_("No such contact.")]})
            return helper
        own = list(own_helpers(user))
        if len(own) != 1:
            raise ValidationError({"helper": [_("Choose the contact.")]})
        return own[0]

    @extend_schema(
        request={"multipart/form-data": ExpenseCreateSerializer},
        responses={201: ExpenseSerializer},
        summary="Record an expense with its receipt (multipart)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ExpenseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        expense = services.expense_create(
            helper=self._helper(values.get("helper")),
            by=request.user,
            pairing=self._pairing(values.get("pairing")),
            date=values.get("date"),
            category=values["category"],
            amount=values.get("amount"),
            description=values.get("description", ""),
            receipt=values.get("receipt"),
        )
        return self._respond(expense, status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "multipart/form-data": ExpenseUpdateSerializer,
            "application/json": ExpenseUpdateSerializer,
        },
        responses=ExpenseSerializer,
        summary="Change an expense that is still open (400 once approved)",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        expense = self.get_object()
        data = ExpenseUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        require_version(values)
        changes: dict[str, Any] = {
            k: values[k] for k in ("date", "category", "amount", "description") if k in values
        }
        if "pairing" in values:
            changes["pairing"] = self._pairing(values["pairing"])
        updated = services.expense_update(
            expense=expense,
            by=request.user,
            expected_version=values.get("version"),
            receipt=values.get("receipt"),
            **changes,
        )
        return self._respond(updated)

    @extend_schema(
        request=ExpenseApproveSerializer,
        responses=ExpenseSerializer,
        summary="Approve an expense (409 if it changed since the version you read)",
    )
    @action(detail=True, methods=["post"], url_path="approve")
    def approve(self, request: Request, pk: str | None = None) -> Response:
        expense = self.get_object()
        data = ExpenseApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.expense_approve(
                expense=expense,
                by=request.user,
                expected_version=data.validated_data.get("version"),
            )
        )

    @extend_schema(
        request=ExpenseCorrectSerializer,
        responses={201: ExpenseSerializer},
        summary="Correct an approved expense with a new (negative or positive) entry",
    )
    @action(detail=True, methods=["post"], url_path="correct")
    def correct(self, request: Request, pk: str | None = None) -> Response:
        original = self.get_object()
        data = ExpenseCorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correction = services.expense_correct(
            original=original,
            amount=data.validated_data.get("amount"),
            description=data.validated_data["description"],
            by=request.user,
        )
        return self._respond(correction, status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
        summary="The receipt file (audited)",
    )
    @action(detail=True, methods=["get"], url_path="receipt")
    def receipt(self, request: Request, pk: str | None = None) -> FileResponse:
        expense = self.get_object()
        return receipt_response(request.user, expense)


def receipt_response(user: Any, expense: Expense) -> FileResponse:
    """The receipt as a download, audited as a read. Only ever reached through a scoped view."""
    response = private_file_response(
        expense.receipt,
        filename=expense.receipt_name or "kvittering",
        content_type=expense.receipt_content_type,
    )
    audit_log(user=user, action=AuditAction.VIEW, obj=expense, changes={"receipt": True})
    return response


def register(router) -> None:  # noqa: ANN001
    router.register("timesheets", TimesheetViewSet, basename="timesheet")
    router.register("expenses", ExpenseViewSet, basename="expense")


def _alias(viewset: type, method: str, verb: str, *, detail: bool, basename: str):  # noqa: ANN202
    # The action without the trailing slash; out of the schema (documented once, with it).
    return viewset.as_view({verb: method}, schema=None, detail=detail, basename=basename)


extra_urls = [
    path(
        "timesheets/export.csv",
        PayrollExportView.as_view(),
        name="timesheet-export-csv",
    ),
    path(
        "timesheets/approve",
        _alias(TimesheetViewSet, "approve", "post", detail=False, basename="timesheet"),
        name="timesheet-approve-noslash",
    ),
    path(
        "timesheets/<int:pk>/adjustments",
        _alias(TimesheetViewSet, "adjustments", "post", detail=True, basename="timesheet"),
        name="timesheet-adjustments-noslash",
    ),
    path(
        "timesheets/<int:pk>/pdf",
        _alias(TimesheetViewSet, "pdf", "get", detail=True, basename="timesheet"),
        name="timesheet-pdf-noslash",
    ),
    path(
        "expenses/<int:pk>/approve",
        _alias(ExpenseViewSet, "approve", "post", detail=True, basename="expense"),
        name="expense-approve-noslash",
    ),
    path(
        "expenses/<int:pk>/correct",
        _alias(ExpenseViewSet, "correct", "post", detail=True, basename="expense"),
        name="expense-correct-noslash",
    ),
    path(
        "expenses/<int:pk>/receipt",
        _alias(ExpenseViewSet, "receipt", "get", detail=True, basename="expense"),
        name="expense-receipt-noslash",
    ),
]
