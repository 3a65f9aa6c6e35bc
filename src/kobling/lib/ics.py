"""A calendar event as an iCalendar (.ics, RFC 5545) file, for invitations sent by e-mail.

Framework-free: plain values in, text out. Times are written in UTC (``...Z``), so no time-zone
block is needed; lines are folded at 75 octets and text is escaped as the RFC asks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PRODID = "-//Kobling//Kobling//NB"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an .ics time must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        limit = 75 if not parts else 74
        if len(current) + len(encoded) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    location: str = ""
    description: str = ""
    organiser_email: str = ""
    sequence: int = 0


def calendar(event: Event, *, stamp: dt.datetime, method: str = "REQUEST") -> str:
    """One VEVENT in a VCALENDAR, CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{_escape(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{_escape(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{_escape(event.description)}")
    if event.organiser_email:
        lines.append(f"ORGANIZER:mailto:{event.organiser_email}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
