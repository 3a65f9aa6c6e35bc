from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kobling.core.access import is_manager
from kobling.core.serializers import FieldsOnceMixin, enum_field, represent
from kobling.core.versions import require_version_on_update, version_field
from kobling.helpers.choices import Gender, Language, Weekday
from kobling.helpers.models import Activity, TargetGroup
from kobling.helpers.validators import validate_national_id, validate_postcode
from kobling.referrals.choices import (
    AlternativeId,
    Benefit,
    ConsentScope,
    DecisionOutcome,
    Priority,
    ReferralSource,
    ReferralStatus,
)
from kobling.referrals.identity import normalise_national_id
from kobling.referrals.models import (
    BenefitCheck,
    Consent,
    Decision,
    Participant,
    PreferredTime,
    Referral,
)
from kobling.referrals.selectors import (
    can_see_decision_details,
    latest_decision,
    possible_duplicates,
    referral_eligibility,
)
from kobling.referrals.services import (
    PARTICIPANT_FIELDS,
    REFERRAL_FIELDS,
    ConsentInput,
    Window,
)
from kobling.tenancy.choices import MANAGER_ROLES, Role
from kobling.tenancy.models import Programme

# The nested decisions' own contexts, fixed objects so that each shape is built once per list
# (kobling.core.serializers.represent).
_NO_CONTEXT: dict[str, Any] = {}
_SHARE: dict[str, Any] = {"share_details": True}
_NO_SHARE: dict[str, Any] = {"share_details": False}


@extend_schema_field(OpenApiTypes.INT)
class ReferableProgrammeField(serializers.PrimaryKeyRelatedField):
    """Active programmes of municipalities where the caller refers or coordinates."""

    default_error_messages = {
        "does_not_exist": _(
            "Choose an active programme in a municipality where you can send referrals."
        ),
    }

    def get_queryset(self):  # noqa: ANN201
        user = self.context["request"].user
        return Programme.objects.filter(
            municipality__in=sorted(user.municipality_ids(*MANAGER_ROLES, Role.REFERRER)),
            is_active=True,
        ).select_related("municipality")


class ParticipantSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """The person: national identity number (fødselsnummer or D-number; the birth date is read
    from it), or — where there is none — ``alternative_id`` with a note and the birth date."""

    national_id = serializers.CharField(required=False, allow_blank=True, max_length=20)
    alternative_id = serializers.ChoiceField(
        choices=AlternativeId.choices, required=False, allow_blank=True
    )
    birth_date = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    postcode = serializers.CharField(max_length=4, validators=[validate_postcode])
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices), required=False
    )
    age = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = ["id", *PARTICIPANT_FIELDS, "age"]
        read_only_fields = ["id"]
        validators: list = []

    def get_age(self, obj: Participant) -> int | None:
        return obj.age_on(timezone.localdate()) if getattr(obj, "birth_date", None) else None

    def validate_national_id(self, value: str) -> str:
        value = normalise_national_id(value)
        if value:
            try:
                validate_national_id(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from None
        return value


class ParticipantReferralSerializer(serializers.Serializer):
    """One of a participant's referrals, as the participant list shows it."""

    id = serializers.IntegerField()
    programme = serializers.CharField()
    status = serializers.CharField()


class ParticipantListSerializer(ParticipantSerializer):
    referrals = serializers.SerializerMethodField()
    municipality = serializers.PrimaryKeyRelatedField(read_only=True)
    # Declared: DRF drops allow_blank from read-only model fields, so the schema said never "".
    # (A person referred without an e-mail address — e.g. by a record system — has "".)
    email = serializers.EmailField(read_only=True, allow_blank=True)
    guardian_email = serializers.EmailField(read_only=True, allow_blank=True)

    class Meta(ParticipantSerializer.Meta):
        fields = ["id", "municipality", *PARTICIPANT_FIELDS, "age", "referrals", "created_at"]
        read_only_fields = fields

    @extend_schema_field(ParticipantReferralSerializer(many=True))
    def get_referrals(self, obj: Participant) -> list[dict[str, Any]]:
        return [
            {"id": r.pk, "programme": r.programme.name, "status": r.status}
            for r in obj.referrals.all()
        ]


class PreferredTimeSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices)

    class Meta:
        model = PreferredTime
        fields = ["weekday", "start_time", "end_time"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end_time"] <= attrs["start_time"]:
            raise serializers.ValidationError(
                {"end_time": _("The window must end after it starts.")}
            )
        return attrs


class BenefitCheckSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A coordinator's check of which benefit the person receives (Aktiv på dagtid): the benefit
    group, who verified it and when, and when it must be checked again — never the decision."""

    benefit = serializers.ChoiceField(choices=Benefit.choices)
    verified_on = serializers.DateField(
        required=False, help_text="The day it was verified (today if left out)."
    )
    verified_by = serializers.CharField(
        source="verified_by.get_full_name", read_only=True, allow_null=True, default=None
    )
    in_force = serializers.SerializerMethodField(
        help_text="Still valid today (not past the day it must be checked again)."
    )

    class Meta:
        model = BenefitCheck
        fields = [
            "id",
            "benefit",
            "verified_on",
            "valid_until",
            "verified_by",
            "in_force",
            "created_at",
        ]
        read_only_fields = ["id", "valid_until", "verified_by", "created_at"]

    def get_in_force(self, obj: BenefitCheck) -> bool:
        return obj.valid_until >= timezone.localdate()


class ConsentSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A consent: what may be shared (scope), given when and by whom; withdrawn when."""

    scope = serializers.ChoiceField(choices=ConsentScope.choices)
    given_on = serializers.DateField(required=False)
    recorded_by = serializers.CharField(
        source="recorded_by.get_full_name", default=None, read_only=True, allow_null=True
    )
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = [
            "id",
            "scope",
            "partner_name",
            "given_on",
            "given_by",
            "withdrawn_on",
            "in_force",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["id", "withdrawn_on", "recorded_by", "created_at"]

    def get_in_force(self, obj: Consent) -> bool:
        return obj.in_force_on(timezone.localdate()) if obj.pk else False

    def to_input(self, attrs: dict[str, Any]) -> ConsentInput:
        return ConsentInput(
            scope=attrs["scope"],
            given_by=attrs.get("given_by", ""),
            given_on=attrs.get("given_on"),
            partner_name=attrs.get("partner_name", ""),
        )


class ConsentWithdrawSerializer(serializers.Serializer):
    withdrawn_on = serializers.DateField(
        required=False, help_text=_("The day the consent was withdrawn; today if left out.")
    )


class DecisionSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A decision as coordinators see it: everything, including any eligibility override."""

    decided_by = serializers.CharField(source="decided_by.get_full_name", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "outcome",
            "reasons",
            "decided_by",
            "decided_on",
            "priority",
            "unmet_eligibility",
            "override_reason",
            "created_at",
        ]
        read_only_fields = fields


class DecisionSummarySerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A decision as the referrer sees it: the outcome and the date; the reasons and who decided
    only while the participant's consent to share with the referrer is in force (else null)."""

    reasons = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["id", "outcome", "decided_on", "reasons", "decided_by"]
        read_only_fields = fields

    def _shared(self) -> bool:
        return bool(self.context.get("share_details"))

    def get_reasons(self, obj: Decision) -> str | None:
        return obj.reasons if self._shared() else None

    def get_decided_by(self, obj: Decision) -> str | None:
        return obj.decided_by.get_full_name() if self._shared() else None


class DecisionInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    reasons = serializers.CharField(
        help_text=_("Required: the reasons, as they will appear in the letter.")
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    decided_on = serializers.DateField(required=False)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Needed to grant a referral that does not meet the eligibility rules."),
    )
    version = version_field(
        help_text=_("The referral version you read (concurrent decisions → 409).")
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    version = version_field()


class ReferralSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """A referral as coordinators and municipal admins see it. Create with ``programme`` and the
    nested ``participant``; update (PATCH) with the ``version`` you read — if someone else saved
    in between, the API answers 409 and nothing is changed."""

    programme = ReferableProgrammeField()
    participant = ParticipantSerializer()
    source = serializers.ChoiceField(choices=ReferralSource.choices)
    target_groups = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
    )
    preferred_activities = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Activity.objects.filter(is_active=True),
        required=False,
    )
    preferred_times = PreferredTimeSerializer(many=True, required=False)
    preferred_gender = enum_field([("", ""), *Gender.choices], required=False, allow_blank=True)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices), required=False
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    consents = ConsentSerializer(many=True, required=False)
    status = enum_field(ReferralStatus.choices, read_only=True)
    eligibility = serializers.SerializerMethodField()
    latest_decision = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()
    waiting_days = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False, help_text=_("The version you read; required when updating.")
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "municipality",
            "programme",
            "participant",
            "referrer",
            *REFERRAL_FIELDS,
            "target_groups",
            "preferred_activities",
            "preferred_times",
            "consents",
            "status",
            "granted_at",
            "closed_at",
            "waiting_days",
            "eligibility",
            "latest_decision",
            "possible_duplicates",
            "merges",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "municipality",
            "referrer",
            "granted_at",
            "closed_at",
            "merges",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    # --- output -------------------------------------------------------------------------------
    def to_representation(self, instance: Referral) -> dict[str, Any]:
        # Someone who is not a coordinator in the referral's municipality (the referrer who made
        # it) always gets the referrer's shape — decided per record, so a person who coordinates
        # in one municipality and refers in another never sees notes they should not.
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if (
            not isinstance(self, ReferrerReferralSerializer)
            and user is not None
            and user.is_authenticated
            and not is_manager(user, instance.municipality_id)
        ):
            return represent(self, ReferrerReferralSerializer, instance)
        return super().to_representation(instance)

    def get_eligibility(self, obj: Referral) -> list[str]:
        return referral_eligibility(obj)

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_latest_decision(self, obj: Referral) -> dict[str, Any] | None:
        decision = latest_decision(obj)
        return (
            represent(self, DecisionSerializer, decision, context=_NO_CONTEXT) if decision else None
        )

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    )
    def get_possible_duplicates(self, obj: Referral) -> list[dict[str, Any]]:
        # Only on single-record reads: a warning for the coordinator, not a list-wide query.
        if not self.context.get("detail"):
            return []
        return [
            {"id": p.pk, "name": p.full_name, "birth_date": p.birth_date.isoformat()}
            for p in possible_duplicates(obj.participant)[:10]
        ]

    def get_waiting_days(self, obj: Referral) -> int | None:
        return obj.waiting_days()

    # --- input --------------------------------------------------------------------------------
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            require_version_on_update(self, attrs)
            for fixed in ("programme", "participant", "consents", "received_at"):
                if fixed in attrs:
                    raise serializers.ValidationError({fixed: _("Cannot be changed here.")})
        low, high = attrs.get("contact_age_min"), attrs.get("contact_age_max")
        if self.instance is not None:
            low = low if "contact_age_min" in attrs else self.instance.contact_age_min
            high = high if "contact_age_max" in attrs else self.instance.contact_age_max
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError(
                {"contact_age_max": _("The highest age cannot be below the lowest.")}
            )
        return attrs

    def split(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Validated attributes → keyword arguments for the services."""
        times = attrs.pop("preferred_times", None)
        consents = attrs.pop("consents", None)
        return {
            "data": {k: v for k, v in attrs.items() if k in REFERRAL_FIELDS},
            "target_groups": attrs.get("target_groups"),
            "activities": attrs.get("preferred_activities"),
            "times": None if times is None else [Window(**t) for t in times],
            "consents": [ConsentSerializer().to_input(c) for c in consents or []],
        }


# Never shown to a referrer: the coordinators' own notes and working data (priority, duplicate
# warnings, merge history).
REFERRER_HIDDEN_FIELDS = ("coordinator_notes", "priority", "possible_duplicates", "merges")
# What a referrer sees of the person: only the identity they already know. Never the stored
# contact details, address, coordinates, guardian or national identity number — a referrer
# who sends only a national id must not learn them from the answer.
REFERRER_PARTICIPANT_FIELDS = ("id", "first_name", "last_name", "birth_date")
# Text that a merge can append from another source; see ReferrerReferralSerializer.
MERGED_TEXT_FIELDS = ("goals", "needs")


class ReferrerParticipantSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """The person as their referrer sees them on the referral: the identity they already know."""

    class Meta:
        model = Participant
        fields = list(REFERRER_PARTICIPANT_FIELDS)
        read_only_fields = fields


class ReferrerReferralSerializer(ReferralSerializer):
    """A referral as the referrer who made it sees it: what they sent, its status and the
    decision's outcome and date — reasons only within the participant's consent — and never the
    coordinators' notes."""

    participant = ReferrerParticipantSerializer(read_only=True)
    latest_decision = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = [f for f in ReferralSerializer.Meta.fields if f not in REFERRER_HIDDEN_FIELDS]

    @extend_schema_field(DecisionSummarySerializer(allow_null=True))
    def get_latest_decision(self, obj: Referral) -> dict[str, Any] | None:
        decision = latest_decision(obj)
        if decision is None:
            return None
        share = can_see_decision_details(self.context["request"].user, obj)
        return represent(
            self, DecisionSummarySerializer, decision, context=_SHARE if share else _NO_SHARE
        )

    def to_representation(self, instance: Referral) -> dict[str, Any]:
        data = super().to_representation(instance)
        # After a merge, goals and needs may hold text from another source (another referrer,
        # the person's own application). The original referrer sees them only while the
        # participant's consent to share with the referrer is in force.
        if instance.merges and not can_see_decision_details(self.context["request"].user, instance):
            for name in MERGED_TEXT_FIELDS:
                if name in data:
                    data[name] = None
        return data


class MergeSerializer(ReferralSerializer):
    """The new information to merge into an open referral (the same fields as a new referral;
    the person, if given, must be the same person)."""

    programme = ReferableProgrammeField(required=False)
    participant = ParticipantSerializer(required=False)

    class Meta(ReferralSerializer.Meta):
        pass


class WaitingListEntrySerializer(FieldsOnceMixin, serializers.ModelSerializer):
    participant_name = serializers.CharField(source="participant.full_name", read_only=True)
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    target_groups = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)
    area = serializers.SerializerMethodField()
    waiting_days = serializers.SerializerMethodField()
    status = enum_field(ReferralStatus.choices, read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "municipality",
            "municipality_name",
            "programme",
            "programme_name",
            "participant",
            "participant_name",
            "priority",
            "status",
            "granted_at",
            "waiting_days",
            "target_groups",
            "area",
        ]
        read_only_fields = fields

    def get_area(self, obj: Referral) -> str:
        return obj.preferred_area or obj.participant.home_area or obj.participant.postcode

    def get_waiting_days(self, obj: Referral) -> int | None:
        return obj.waiting_days()


class SupplyDemandRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    waiting = serializers.IntegerField()
    free_places = serializers.IntegerField()
    gap = serializers.IntegerField(help_text=_("Waiting minus free places."))


class SupplyDemandSerializer(serializers.Serializer):
    waiting = serializers.IntegerField(help_text=_("Granted and waiting for a contact."))
    awaiting_decision = serializers.IntegerField()
    contacts_available = serializers.IntegerField(
        help_text=_("Active contacts whose availability is confirmed.")
    )
    free_places = serializers.IntegerField(help_text=_("Their capacity minus open pairings."))
    gap = serializers.IntegerField()
    longest_wait_days = serializers.IntegerField(allow_null=True)
    by_target_group = SupplyDemandRowSerializer(many=True)
    by_area = SupplyDemandRowSerializer(many=True)
