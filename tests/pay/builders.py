"""Small builders for pay tests: sessions written straight to the append-only log (a correction
is a new entry that supersedes the old one, exactly as the follow-up services write them), and
receipt files of each kind."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kobling.followup.models import Pairing, Session
from kobling.pay.months import current_month, previous_month


def last_month() -> dt.date:
    return previous_month(current_month())


def month_before_last() -> dt.date:
    return previous_month(last_month())


def day(month: dt.date, number: int) -> dt.date:
    return month.replace(day=number)


def held(pairing: Pairing, date: dt.date, minutes: int, *, status: str = "held") -> Session:
    return Session.objects.create(
        municipality_id=pairing.municipality_id,
        pairing=pairing,
        helper_id=pairing.helper_id,
        date=date,
        minutes=minutes,
        status=status,
        logged_at=timezone.now(),
    )


def correct(
    session: Session,
    *,
    minutes: int | None = None,
    date: dt.date | None = None,
    status: str | None = None,
    void: bool = False,
) -> Session:
    """A correction: a new entry superseding ``session`` (never an edit)."""
    return Session.objects.create(
        municipality_id=session.municipality_id,
        pairing_id=session.pairing_id,
        helper_id=session.helper_id,
        date=date or session.date,
        minutes=minutes or session.minutes,
        status=status or session.status,
        supersedes=session,
        is_void=void,
        correction_reason="Feil i føringen",
        logged_at=timezone.now(),
    )


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image_bytes(kind: str = "PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def receipt(kind: str = "pdf", *, name: str | None = None) -> SimpleUploadedFile:
    content = {
        "pdf": pdf_bytes,
        "png": lambda: image_bytes("PNG"),
        "jpeg": lambda: image_bytes("JPEG"),
    }[kind]()
    types = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
    return SimpleUploadedFile(name or f"kvittering.{kind}", content, content_type=types[kind])


def contacts_with_sessions(programme, month: dt.date, n: int) -> list[Pairing]:
    """``n`` contacts, each paired with a participant and with one held session in ``month``
    and one approved expense (for query-count guards)."""
    from kobling.followup.models import Pairing as PairingModel
    from kobling.pay.models import Expense
    from tests import factories as f

    pairings = []
    for _ in range(n):
        helper = f.HelperFactory(programme=programme)
        referral = f.ReferralFactory(programme=programme)
        pairing = PairingModel.objects.create(
            municipality=programme.municipality,
            programme=programme,
            referral=referral,
            participant=referral.participant,
            helper=helper,
            slot=0,
            status="active",
            confirmed_at=timezone.now(),
        )
        held(pairing, day(month, 7), 60)
        Expense.objects.create(
            municipality=programme.municipality,
            helper=helper,
            pairing=pairing,
            date=day(month, 8),
            category="equipment",
            amount="100.00",
            status="approved",
            approved_at=timezone.now(),
        )
        pairings.append(pairing)
    return pairings


# --- group meetings ---------------------------------------------------------------------------


def group_offer(
    programme, leaders, *, title: str = "Trening i gruppe", start: dt.date | None = None
):
    """A group offer of ``programme`` led by ``leaders`` (straight into the database: the pay
    tests need meetings, not the groups' services)."""
    from kobling.groups.models import GroupOffer

    start = start or previous_month(month_before_last())
    offer = GroupOffer.objects.create(
        municipality_id=programme.municipality_id,
        programme=programme,
        title=title,
        topic="training",
        term_start=start,
        term_end=start + dt.timedelta(days=365),
        capacity=15,
    )
    offer.leaders.set(leaders)
    return offer


def meeting(offer, date: dt.date, minutes: int = 60, *, status: str = "held", substitute=None):
    """A meeting of ``offer`` on ``date`` (held by default)."""
    from kobling.groups.models import Meeting

    return Meeting.objects.create(
        offer=offer,
        municipality_id=offer.municipality_id,
        date=date,
        start_time=dt.time(10, 0),
        slot_date=date,
        slot_time=dt.time(10, 0),
        minutes=minutes,
        status=status,
        substitute=substitute,
    )


def leaders_with_meetings(programme, month: dt.date, n: int, *, meetings: int = 1) -> list:
    """``n`` group leaders, each leading their own offer with ``meetings`` held meetings in
    ``month`` (for query-count guards)."""
    from tests import factories as f

    helpers = []
    for i in range(n):
        helper = f.HelperFactory(programme=programme, kind="instructor")
        offer = group_offer(programme, [helper], title=f"Gruppe {i}")
        for k in range(meetings):
            meeting(offer, day(month, 1 + k % 27), 45)
        helpers.append(helper)
    return helpers
