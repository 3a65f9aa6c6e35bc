"""The public catalogue's rows as JSON: only the public fields (``selectors.PublicOffer``)."""

from __future__ import annotations

from rest_framework import serializers

from kobling.catalogue.choices import JoinBy, OfferKind
from kobling.partners.choices import PreventionLevel


class PublicOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    municipality_code = serializers.CharField(read_only=True)
    municipality_name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=OfferKind.choices, read_only=True)
    kind_label = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    organisation = serializers.CharField(
        read_only=True, help_text="The organisation or provider, else the municipality"
    )
    target_groups = serializers.ListField(child=serializers.CharField(), read_only=True)
    target_group_codes = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty means everyone"
    )
    prevention_level = serializers.ChoiceField(choices=PreventionLevel.choices, read_only=True)
    prevention_level_label = serializers.CharField(read_only=True)
    place = serializers.CharField(read_only=True)
    times = serializers.CharField(read_only=True)
    is_free = serializers.BooleanField(read_only=True)
    cost = serializers.CharField(read_only=True)
    join_by = serializers.ChoiceField(choices=JoinBy.choices, read_only=True)
    join_by_label = serializers.CharField(read_only=True)
    join_details = serializers.CharField(read_only=True)
    contact_phone = serializers.CharField(read_only=True)
    contact_email = serializers.CharField(read_only=True, help_text="A public address, or empty")
    website = serializers.CharField(read_only=True)
    programme_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The programme a referral to this offer goes to (pre-selected on the form)",
    )
