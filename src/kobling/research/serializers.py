from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kobling.research.models import ResearchExport
from kobling.research.selectors import exportable_programmes
from kobling.tenancy.models import Programme


class ResearchExportSerializer(serializers.ModelSerializer):
    """An export's record: what was delivered, to whom, under which approval. Never the data."""

    programmes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    created_by = serializers.SerializerMethodField()
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = ResearchExport
        fields = [
            "id",
            "municipality",
            "programmes",
            "period_start",
            "period_end",
            "project_title",
            "approval_reference",
            "recipient_name",
            "recipient_institution",
            "purpose",
            "birth_year_bands",
            "smallest_group",
            "created_by",
            "created_at",
            "counts",
            "sha256",
        ]
        read_only_fields = fields

    def get_created_by(self, obj: ResearchExport) -> str:
        user = obj.created_by
        return (user.get_full_name() or user.get_username()) if user else ""


class ResearchExportCreateSerializer(serializers.Serializer):
    """What to export and for whom. Programmes must be in a municipality you administer."""

    programmes = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Programme.objects.none(), allow_empty=False
    )
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    project_title = serializers.CharField(max_length=200)
    approval_reference = serializers.CharField(max_length=100)
    recipient_name = serializers.CharField(max_length=160)
    recipient_institution = serializers.CharField(max_length=200)
    purpose = serializers.CharField()
    birth_year_bands = serializers.BooleanField(
        default=True,
        help_text=_(
            "Birth years as 5-year bands (e.g. 1980-1984) and referral months as quarters "
            "(e.g. 2025-Q3). Default true; set false only when the project's approval covers "
            "exact birth years and months."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["programmes"].child_relation.queryset = exportable_programmes(request.user)
