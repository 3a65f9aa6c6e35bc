"""Stable reason codes of the matching engine. The Django side maps each code (with the
``details`` the engine attaches) to a sentence in the coordinator's language; docs/matching.md
lists them with their details. Never rename a code: saved runs refer to them."""

from __future__ import annotations

# FactorScore.reason, per factor.
SHARED_ACTIVITIES = "shared_activities"  # {"shared": [codes]}
NO_SHARED_ACTIVITIES = "no_shared_activities"  # {"shared": []}
NO_ACTIVITY_PREFERENCE = "no_activity_preference"  # {}

BY_DISTANCE = "by_distance"  # {"km": 3.2, "limit_km": 15.0}
BY_POSTCODE = "by_postcode"  # {"match": "same_postcode"|"same_area"|"same_region"|"different"}
LOCATION_UNKNOWN = "location_unknown"  # {"missing": "participant"|"contact"}

OVERLAPPING_TIME = "overlapping_time"  # {"minutes": 120, "of_minutes": 240}
NO_OVERLAPPING_TIME = "no_overlapping_time"  # {"minutes": 0, "of_minutes": 240}
NO_AVAILABILITY_GIVEN = "no_availability_given"  # {"missing": "participant"|"contact"}

TARGET_GROUP_COMPETENCE = "target_group_competence"  # {"shared": [codes]}
NO_TARGET_GROUP_COMPETENCE = "no_target_group_competence"  # {"shared": []}
NO_TARGET_GROUP = "no_target_group"  # {}

ALL_WISHES_MET = "all_wishes_met"  # {"met": ["gender", "age"], "unmet": []}
SOME_WISHES_MET = "some_wishes_met"  # {"met": [...], "unmet": [...]}
NO_WISHES_MET = "no_wishes_met"  # {"met": [], "unmet": [...]}
NO_WISHES = "no_wishes"  # {}

SHARED_LANGUAGE = "shared_language"  # {"shared": [codes]}
NO_SHARED_LANGUAGE = "no_shared_language"  # {"asked": [codes]}
NO_LANGUAGE_PREFERENCE = "no_language_preference"  # {}

FACTOR_REASONS: dict[str, tuple[str, ...]] = {
    "activity": (SHARED_ACTIVITIES, NO_SHARED_ACTIVITIES, NO_ACTIVITY_PREFERENCE),
    "distance": (BY_DISTANCE, BY_POSTCODE, LOCATION_UNKNOWN),
    "availability": (OVERLAPPING_TIME, NO_OVERLAPPING_TIME, NO_AVAILABILITY_GIVEN),
    "target_group": (TARGET_GROUP_COMPETENCE, NO_TARGET_GROUP_COMPETENCE, NO_TARGET_GROUP),
    "preferences": (ALL_WISHES_MET, SOME_WISHES_MET, NO_WISHES_MET, NO_WISHES),
    "language": (SHARED_LANGUAGE, NO_SHARED_LANGUAGE, NO_LANGUAGE_PREFERENCE),
}

# Hard constraints: why a pair can never be proposed (explain_pair, locked-pair details and the
# "excluded_by" counts of an unmatched participant).
GENDER_MUST_NOT_MET = "gender_must_not_met"
AGE_MUST_NOT_MET = "age_must_not_met"
LANGUAGE_MUST_NOT_MET = "language_must_not_met"
BEYOND_MAX_TRAVEL = "beyond_max_travel"
AVOID_CONTACT = "avoid_contact"
FORBIDDEN_PAIR = "forbidden_pair"
NO_PLACES = "no_places"  # the contact has no places left (capacity used up or <= 0)
CONTACT_NOT_IN_RUN = "contact_not_in_run"  # a lock names a contact that is not eligible now

HARD_CONSTRAINTS: tuple[str, ...] = (
    GENDER_MUST_NOT_MET,
    AGE_MUST_NOT_MET,
    LANGUAGE_MUST_NOT_MET,
    BEYOND_MAX_TRAVEL,
    AVOID_CONTACT,
    FORBIDDEN_PAIR,
)

# Unmatched.reason.
NO_ACCEPTABLE_CONTACT = "no_acceptable_contact"  # {"excluded_by": {constraint: n contacts}}
BELOW_MINIMUM_SCORE = "below_minimum_score"  # {"best_score": 4.1, "min_score": 5.0}
NO_CAPACITY = "no_capacity"  # {"acceptable_contacts": 3, "full": 3}
LOCKED_PAIR_NOT_POSSIBLE = "locked_pair_not_possible"  # {"contact_id": 7, "why": [codes]}

UNMATCHED_REASONS: tuple[str, ...] = (
    NO_ACCEPTABLE_CONTACT,
    BELOW_MINIMUM_SCORE,
    NO_CAPACITY,
    LOCKED_PAIR_NOT_POSSIBLE,
)

# The postcode proximity levels of BY_POSTCODE, best first, with their values.
POSTCODE_LEVELS: tuple[tuple[str, float], ...] = (
    ("same_postcode", 1.0),
    ("same_area", 0.6),  # the first two digits agree
    ("same_region", 0.2),  # the first digit agrees
    ("different", 0.0),
)
