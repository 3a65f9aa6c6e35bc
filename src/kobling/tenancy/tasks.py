"""Background work for tenancy: invitation e-mails."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


@task()
def send_invitation(*, user_id: int, municipality_id: int) -> None:
    from kobling.tenancy.models import Municipality, User
    from kobling.tenancy.services import invitation_link

    user = User.objects.get(pk=user_id)
    municipality = Municipality.objects.get(pk=municipality_id)
    with translation.override(user.preferred_language or "nb"):
        context = {"user": user, "municipality": municipality, "link": invitation_link(user)}
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation.txt", context)
    EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()
