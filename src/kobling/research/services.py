"""Creating a research export: check the request, record the export's metadata, build the
dataset under a fresh key, record the archive's checksum and row counts, and audit it. The
dataset is returned to the caller (who streams it to the recipient) and never stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kobling.research import dataset
from kobling.research.models import ResearchExport
from kobling.tenancy.audit import audit_log
from kobling.tenancy.choices import AuditAction, Role
from kobling.tenancy.models import Programme, User

__all__ = ["ExportResult", "research_export_create"]

TEXT_FIELDS = (
    "project_title",
    "approval_reference",
    "recipient_name",
    "recipient_institution",
    "purpose",
)


@dataclass(frozen=True)
class ExportResult:
    export: ResearchExport
    content: bytes

    @property
    def filename(self) -> str:
        return f"kobling-research-{self.export.pk}.zip"


def research_export_create(
    *,
    by: User,
    programmes: Sequence[Programme],
    period_start: dt.date,
    period_end: dt.date,
    project_title: str,
    approval_reference: str,
    recipient_name: str,
    recipient_institution: str,
    purpose: str,
    birth_year_bands: bool = True,
) -> ExportResult:
    """Export a pseudonymised, minimised dataset of the consenting participants of
    ``programmes`` (one municipality, which ``by`` administers) referred in the period.

    ``birth_year_bands`` (the default) gives birth years as 5-year bands and referral months as
    quarters; turn it off only when the project's approval covers exact years and months. Either
    way the smallest group sharing birth year (or band), gender and programme is measured, stored
    on the record, written in the README and audited; a small group does not stop the export.

    Every call makes a new key, so the same data exported twice shares no pseudonym. The key is
    dropped when this function returns: it is neither stored nor logged."""
    today = timezone.localdate()
    programmes = list({p.pk: p for p in programmes}.values())
    texts = {
        "project_title": project_title.strip(),
        "approval_reference": approval_reference.strip(),
        "recipient_name": recipient_name.strip(),
        "recipient_institution": recipient_institution.strip(),
        "purpose": purpose.strip(),
    }
    errors: dict[str, str] = {}
    if not programmes:
        errors["programmes"] = _("Choose at least one programme.")
    municipality_ids = {p.municipality_id for p in programmes}
    if len(municipality_ids) > 1:
        errors["programmes"] = _("Choose programmes of one municipality.")
    for field, value in texts.items():
        if not value:
            errors[field] = _("This field is required.")
    if period_end < period_start:
        errors["period_end"] = _("The period must end on or after its start.")
    if period_start > today:
        errors["period_start"] = _("The period cannot start in the future.")
    if errors:
        raise ValidationError(errors)
    (municipality_id,) = municipality_ids
    if not by.has_role(Role.MUNICIPAL_ADMIN, municipality_id):
        raise PermissionDenied(_("Only the municipality's administrators can export for research."))

    referrals = dataset.selected_referrals(
        programmes=programmes, period_start=period_start, period_end=period_end, day=today
    )
    if not referrals.exists():
        raise ValidationError(
            {
                "programmes": _(
                    "No participants in these programmes with a referral received in the period "
                    "have a consent to research in force today. Nothing was exported."
                )
            }
        )

    with transaction.atomic():
        export = ResearchExport(
            municipality_id=municipality_id,
            period_start=period_start,
            period_end=period_end,
            birth_year_bands=birth_year_bands,
            created_by=by,
            **texts,
        )
        export.full_clean()
        export.save()
        export.programmes.set(programmes)
        info = dataset.ExportInfo(
            export_id=export.pk,
            project_title=export.project_title,
            approval_reference=export.approval_reference,
            recipient=f"{export.recipient_name}, {export.recipient_institution}",
            created_at=export.created_at,
            period_start=period_start,
            period_end=period_end,
            bands=birth_year_bands,
        )
        archive = dataset.build_archive(
            info=info,
            referrals=referrals,
            programmes=programmes,
            key=secrets.token_bytes(32),  # this export's key: used once, never kept
        )
        content, counts = archive.content, archive.counts
        export.counts = counts
        export.smallest_group = archive.smallest_group
        export.sha256 = hashlib.sha256(content).hexdigest()
        export.save(update_fields=["counts", "smallest_group", "sha256"])
        audit_log(
            user=by,
            action=AuditAction.EXPORT,
            obj=export,
            changes={
                "export": export.pk,
                "programmes": sorted(p.pk for p in programmes),
                "period": [period_start, period_end],
                "approval_reference": export.approval_reference,
                "recipient": info.recipient,
                "birth_year_bands": birth_year_bands,
                "smallest_group": export.smallest_group,
                "counts": [[name, n] for name, n in counts.items()],
                "sha256": export.sha256,
            },
        )
    return ExportResult(export=export, content=content)
