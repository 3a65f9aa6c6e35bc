"""Field validators with messages in the user's language."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer

_POSTCODE = re.compile(r"^\d{4}$")


def validate_postcode(value: str) -> None:
    if not _POSTCODE.match(value or ""):
        raise ValidationError(
            _("A Norwegian postcode has exactly four digits."), code="invalid_postcode"
        )


def validate_national_id(value: str) -> None:
    """Fødselsnummer or D-number: 11 digits with two mod-11 check digits and a real birth date."""
    try:
        fodselsnummer.validate(value)
    except StdnumError:
        raise ValidationError(
            _("This is not a valid national identity number (fødselsnummer or D-number)."),
            code="invalid_national_id",
        ) from None


def validate_birth_year(value: int) -> None:
    this_year = date.today().year
    if value < this_year - 100 or value > this_year - 15:
        raise ValidationError(
            _("Birth year must be between %(low)s and %(high)s.")
            % {"low": this_year - 100, "high": this_year - 15},
            code="invalid_birth_year",
        )


def validate_latitude(value: float) -> None:
    if not 57.0 <= float(value) <= 72.0:
        raise ValidationError(
            _("Latitude must be within Norway (57–72° N)."), code="invalid_latitude"
        )


def validate_longitude(value: float) -> None:
    if not 4.0 <= float(value) <= 32.0:
        raise ValidationError(
            _("Longitude must be within Norway (4–32° E)."), code="invalid_longitude"
        )
