"""The Task's status, derived from where the referral, its decision and its course stand — on
every read, never stored, so it cannot drift from Kobling's own state (docs/fhir.md, "Task
status"). Pure: plain values in, plain values out."""

from __future__ import annotations

from dataclasses import dataclass

# Course end reasons that mean the course never ran to its end: the person withdrew, or a new
# decision replaced the grant (referrals.choices.EPISODE_END_REASONS).
CANCELLING_END_REASONS = frozenset({"withdrawn", "revoked"})


@dataclass(frozen=True)
class TaskState:
    """``status`` is FHIR's Task.status; ``business`` Kobling's finer state (a code of the
    course-status CodeSystem); ``reason`` a task-status-reason code, or ""."""

    status: str
    business: str
    reason: str = ""

    @property
    def started(self) -> bool:
        """The course has started: the report (Task.output) has something to say."""
        return self.status in {"in-progress", "on-hold", "completed"}


def task_state(
    *,
    referral_status: str,
    decision_outcome: str | None,
    seen_by_staff: bool,
    episode_status: str | None,
    episode_end_reason: str = "",
) -> TaskState:
    """requested (arrived, no one in the municipality has opened it) → received (opened, or
    more information asked for) → accepted (granted, the course waits to start) or rejected
    (refused) → in-progress (the course started; on-hold while it is paused) → completed (the
    course ended) or cancelled (withdrawn, or the grant replaced)."""
    if episode_status is not None:
        if episode_status == "ended":
            if episode_end_reason in CANCELLING_END_REASONS:
                return TaskState("cancelled", "ended", episode_end_reason)
            return TaskState("completed", "ended", episode_end_reason)
        if episode_status == "active":
            return TaskState("in-progress", "active")
        if episode_status == "paused":
            return TaskState("on-hold", "paused")
        if referral_status in {"waiting", "paired", "started"}:
            return TaskState("accepted", referral_status)
    if referral_status == "withdrawn":
        return TaskState("cancelled", "withdrawn", "withdrawn")
    if referral_status == "refused" or decision_outcome == "refused":
        return TaskState("rejected", "refused", "refused")
    if referral_status in {"waiting", "paired", "started"}:
        return TaskState("accepted", referral_status)
    if referral_status == "closed":
        return TaskState("cancelled", "closed", "closed")
    if referral_status == "more_info":
        return TaskState("received", "more_info", "more_info")
    return TaskState("received" if seen_by_staff else "requested", "received")
