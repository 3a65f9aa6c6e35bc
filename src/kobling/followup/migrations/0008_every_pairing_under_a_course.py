"""Every referral that was granted or paired gets its course (referrals.Episode), and every
pairing is put under its referral's course. The course's status, dates, ending and hand-over are
derived from the referral and its pairings as the services keep them from now on; nothing is
changed on the referrals, pairings or their sessions."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def _date(value):
    return timezone.localtime(value).date() if value is not None else None


_CLOSED_BEFORE_END = {
    "withdrawn": "withdrawn",
    "refused": "revoked",
    "more_info": "revoked",
    "received": "revoked",
}


def _derive(referral_status, closed_on, pairs):
    """A frozen copy of kobling.followup.course.derive_course_state (as of this migration)."""
    starts = [p.started_on for p in pairs if p.started_on]
    started = min(starts) if starts else None
    last = pairs[-1] if pairs else None
    state = {
        "status": "waiting",
        "started_on": started,
        "paused_on": None,
        "ended_on": None,
        "end_reason": "",
        "end_note": "",
        "handover_destination": "",
        "handover_note": "",
    }
    if referral_status == "paired" and last is not None:
        state["status"] = {"active": "active", "paused": "paused"}.get(last.status, "waiting")
        if state["status"] == "paused":
            state["paused_on"] = last.paused_on
    elif referral_status == "closed" or referral_status in _CLOSED_BEFORE_END:
        state["status"] = "ended"
        if referral_status == "closed" and last is not None and last.status == "ended":
            state.update(
                ended_on=last.ended_on or closed_on,
                end_reason=last.end_reason,
                end_note=last.end_note,
                handover_destination=last.handover_destination,
                handover_note=last.handover_note,
            )
        else:
            state.update(
                ended_on=closed_on, end_reason=_CLOSED_BEFORE_END.get(referral_status, "other")
            )
        if started and state["ended_on"] and state["ended_on"] < started:
            state["ended_on"] = started
    return state


def forwards(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    Decision = apps.get_model("referrals", "Decision")
    Episode = apps.get_model("referrals", "Episode")
    Pairing = apps.get_model("followup", "Pairing")

    referrals = (
        Referral.objects.filter(Q(granted_at__isnull=False) | Q(pairings__isnull=False))
        .select_related("programme")
        .distinct()
        .order_by("pk")
    )
    for referral in referrals.iterator(chunk_size=500):
        pairings = list(
            Pairing.objects.filter(referral_id=referral.pk).order_by("confirmed_at", "pk")
        )
        decision = (
            Decision.objects.filter(referral_id=referral.pk, outcome="granted")
            .order_by("-decided_on", "-pk")
            .first()
        )
        state = _derive(
            referral.status,
            _date(referral.closed_at or referral.updated_at),
            pairings,
        )
        if decision is not None:
            opened_on = decision.decided_on
        elif referral.granted_at is not None:
            opened_on = _date(referral.granted_at)
        else:
            opened_on = _date(referral.received_at)
        episode = Episode.objects.create(
            municipality_id=referral.municipality_id,
            programme_id=referral.programme_id,
            participant_id=referral.participant_id,
            referral_id=referral.pk,
            decision_id=decision.pk if decision else None,
            delivery=referral.programme.delivery,
            opened_on=opened_on,
            planned_weeks=referral.programme.period_weeks,
            **state,
        )
        Pairing.objects.filter(referral_id=referral.pk).update(episode_id=episode.pk)


def backwards(apps, schema_editor):
    apps.get_model("followup", "Pairing").objects.update(episode=None)
    apps.get_model("referrals", "Episode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0007_pairing_episode"),
        ("referrals", "0004_episode"),
        ("tenancy", "0006_programme_delivery_and_period"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
