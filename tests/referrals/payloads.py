"""Payload builders for referral tests (API bodies and page form posts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kobling.referrals.identity import synthetic_national_id

BORN = dt.date(1990, 4, 12)


def person(**over: Any) -> dict[str, Any]:
    data = {
        "national_id": synthetic_national_id(BORN),
        "first_name": "Siri",
        "last_name": "Sørli",
        "postcode": "6800",
        "home_area": "Sentrum",
        "phone": "912 34 567",
        "languages": ["nb"],
    }
    data.update(over)
    return data


def api_payload(cast, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "programme": cast.programme_a.pk,
        "participant": person(),
        "source": "gp",
        "goals": "Gå tur to ganger i uka",
        "target_groups": ["mental_health"],
        "preferred_activities": ["walking", "swimming"],
        "preferred_times": [{"weekday": 1, "start_time": "17:00", "end_time": "19:00"}],
        "preferred_gender": "female",
        "gender_is_must": True,
        "contact_age_min": 25,
        "contact_age_max": 50,
        "languages": ["nb", "en"],
        "language_is_must": False,
        "needs": "Angst i store grupper",
        "consents": [{"scope": "share_with_referrer", "given_by": "Siri Sørli"}],
    }
    body.update(over)
    return body


def page_payload(cast, **over: Any) -> dict[str, Any]:
    """What the referral form posts (one time window filled in, two left empty)."""
    from kobling.helpers.models import Activity, TargetGroup

    data: dict[str, Any] = {
        "programme": cast.programme_a.pk,
        "source": "gp",
        "national_id": synthetic_national_id(BORN),
        "first_name": "Siri",
        "last_name": "Sørli",
        "gender": "female",
        "postcode": "6800",
        "home_area": "Sentrum",
        "resident": "on",
        "target_groups": [TargetGroup.objects.get(code="mental_health").pk],
        "goals": "Gå tur to ganger i uka",
        "activities": [Activity.objects.get(code="walking").pk],
        "preferred_gender": "female",
        "gender_is_must": "on",
        "contact_age_min": "25",
        "contact_age_max": "50",
        "needs": "Angst i store grupper",
        "consent_scopes": ["share_with_referrer"],
        "consent_given_by": "Siri Sørli",
        "times-TOTAL_FORMS": "3",
        "times-INITIAL_FORMS": "0",
        "times-MIN_NUM_FORMS": "0",
        "times-MAX_NUM_FORMS": "14",
        "times-0-weekday": "1",
        "times-0-start_time": "17:00",
        "times-0-end_time": "19:00",
    }
    data.update(over)
    return data
