"""lib.identifiers: what a comment for others must not carry, found in free text."""

from __future__ import annotations

import pytest

from kobling.lib.identifiers import direct_identifiers


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Fint kurs, takk!", []),
        ("Ring meg på 91234567", ["phone"]),
        ("tlf 912 34 567 eller +47 91 23 45 67", ["phone"]),
        ("Mitt nummer er 0047 41234567.", ["phone"]),
        ("Deltakeren 01019010046 trenger mer", ["national_id"]),
        ("010190 10046", ["national_id"]),
        ("skriv til ola.nordmann@example.no", ["email"]),
        ("01019010046 og per@x.no", ["national_id", "email"]),
        # Dates, years, times, scores and amounts are not identifiers.
        ("Kurset 12.03.2025 kl. 18.30, 5 av 5, kr 1500, 2024–2025", []),
        ("Vi var 12 deltakere over 10 dager", []),
        # A run longer than a phone number is not one (nor part of one).
        ("Referanse 1234567890", []),
    ],
)
def test_direct_identifiers_are_found_by_kind(text, kinds):
    assert direct_identifiers(text) == kinds
