"""Who is signed in as an organisation — the one organisation identity of the project.

An organisation's contact person signs in by an e-mailed single-use link (no password
account); the grants module owns that sign-in (``kobling.grants.portal``: the link, the
contact, the partner it is linked to). Partners' own organisation pages (bookings, meetings,
the contact person in the municipality) use the same sign-in: grants, which sits above
partners, hands the resolver down in ``GrantsConfig.ready`` (a registry, as the alerts and
the scheduler are), so partners never imports grants and there is no second identity.

The session keeps the contact's id under :data:`SESSION_KEY`; every request looks the contact
up again, so a contact whose partner link is gone is signed out at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

SESSION_KEY = "kobling_grant_contact"


@dataclass(frozen=True)
class SignedInOrganisation:
    """The organisation a request speaks for: its partner (within one municipality) and the
    contact person who signed in."""

    contact_id: int
    partner_id: int
    municipality_id: int
    contact_name: str
    contact_email: str


Resolver = Callable[[int], SignedInOrganisation | None]
_resolver: list[Resolver] = []


def register_organisation_resolver(resolver: Resolver) -> None:
    """Called once by the app that owns the sign-in: contact id → the organisation."""
    _resolver[:] = [resolver]


def signed_in_organisation(request: HttpRequest) -> SignedInOrganisation | None:
    contact_id = request.session.get(SESSION_KEY)
    if not contact_id or not _resolver:
        return None
    return _resolver[0](int(contact_id))


def require_organisation(request: HttpRequest) -> SignedInOrganisation:
    """The signed-in organisation, or 403 ("Sign in with the link we e-mail you.")."""
    found = signed_in_organisation(request)
    if found is None:
        raise PermissionDenied(_("Sign in with the link we e-mail you."))
    return found
