import re

import pytest
from django.core import mail
from django.test import Client

from kobling.core import outbox
from kobling.core.models import OutboxMessage, SignedLink
from kobling.tenancy.models import AuditEntry, Membership, User

pytestmark = pytest.mark.django_db


def test_admin_invites_a_new_coordinator_who_chooses_a_password_and_signs_in(
    cast, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.admin_a).post(
            "/api/v1/memberships/",
            {"municipality": cast.a.pk, "email": "Ny.Koordinator@A.test", "role": "coordinator"},
            format="json",
        )
    assert response.status_code == 201, response.data
    user = User.objects.get(username="ny.koordinator@a.test")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ny.koordinator@a.test"]
    link = re.search(r"http://testserver(/konto/passord/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    page = client.get(link, follow=True)
    assert page.status_code == 200
    set_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    done = client.post(
        set_url,
        {"new_password1": "Et langt passord 2026!", "new_password2": "Et langt passord 2026!"},
    )
    assert done.status_code == 302
    assert Client().login(username="ny.koordinator@a.test", password="Et langt passord 2026!")
    # The link works once.
    assert "expired" in Client().get(link, follow=True).content.decode()
    assert AuditEntry.objects.filter(action="create", object_type="tenancy.membership").exists()
    # The invitation went through the outbox, once, and no token was kept there.
    [sent] = OutboxMessage.objects.filter(purpose="invitation")
    membership = Membership.objects.get(user=user)
    assert (sent.status, sent.subject_key, sent.recipient) == (
        "sent",
        f"membership:{membership.pk}",
        "ny.koordinator@a.test",
    )
    assert not SignedLink.objects.filter(purpose="invitation").exists()


def test_an_invitation_is_not_sent_once_the_role_is_taken_back(cast, api):
    """Queued but not yet sent (the mail server was down): the role is revoked meanwhile, so
    the outbox cancels the invitation instead of sending a live password link."""
    response = api(cast.admin_a).post(
        "/api/v1/memberships/",
        {"municipality": cast.a.pk, "email": "angret@a.test", "role": "referrer"},
        format="json",
    )
    assert response.status_code == 201, response.data
    [queued] = OutboxMessage.objects.filter(purpose="invitation")
    assert queued.status == "queued" and mail.outbox == []  # on_commit never ran here
    Membership.objects.get(user__username="angret@a.test").delete()

    assert outbox.message_send(message_id=queued.pk).outcome == "settled"
    queued.refresh_from_db()
    assert queued.status == "cancelled" and mail.outbox == []


def test_existing_user_gets_a_role_in_a_second_municipality_without_a_new_account(cast, api):
    response = api(cast.admin_a).post(
        "/api/v1/memberships/",
        {"municipality": cast.a.pk, "email": cast.coordinator_b.username, "role": "referrer"},
        format="json",
    )
    assert response.status_code == 201
    assert set(
        Membership.objects.filter(user=cast.coordinator_b).values_list("municipality__code", "role")
    ) == {("9002", "coordinator"), ("9001", "referrer")}
    assert mail.outbox == []


def test_admin_cannot_grant_roles_in_another_municipality(cast, api):
    response = api(cast.admin_a).post(
        "/api/v1/memberships/",
        {"municipality": cast.b.pk, "email": "x@b.test", "role": "coordinator"},
        format="json",
    )
    assert response.status_code == 400 and "municipality" in response.data
    assert not User.objects.filter(username="x@b.test").exists()


def test_granting_the_same_role_twice_is_refused(cast, api):
    response = api(cast.admin_a).post(
        "/api/v1/memberships/",
        {"municipality": cast.a.pk, "email": cast.coordinator_a.username, "role": "coordinator"},
        format="json",
    )
    assert response.status_code == 400 and "role" in response.data


def test_admin_revokes_a_role_and_it_is_audited(cast, api):
    membership = Membership.objects.get(user=cast.referrer_a)
    assert api(cast.admin_a).delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(membership.pk)).exists()


def test_admin_cannot_remove_their_own_admin_role(cast, api):
    membership = Membership.objects.get(user=cast.admin_a)
    assert api(cast.admin_a).delete(f"/api/v1/memberships/{membership.pk}/").status_code == 400
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize(
    "role", ["coordinator_a", "referrer_a", "contact_a", "coordinator_b", "analyst", "provider"]
)
def test_only_municipal_admins_manage_roles(cast, api, role):
    membership = Membership.objects.get(user=cast.referrer_a)
    client = api(cast.roles[role])
    assert (
        client.post(
            "/api/v1/memberships/",
            {"municipality": cast.a.pk, "email": "z@a.test", "role": "referrer"},
            format="json",
        ).status_code
        == 403
    )
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_forgotten_password_sends_a_link_only_for_known_users(
    cast, django_capture_on_commit_callbacks
):
    from kobling.core.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/konto/glemt-passord/", {"email": "nobody@nowhere.test"})
    assert mail.outbox == []
    cast.coordinator_a.email = cast.coordinator_a.username
    cast.coordinator_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/konto/glemt-passord/", {"email": cast.coordinator_a.username})
    assert response.status_code == 302 and len(mail.outbox) == 1
    # Through the outbox, like every e-mail the system sends; the link in it works.
    sent = OutboxMessage.objects.get(purpose="password-reset")
    assert sent.status == "sent" and sent.recipient == cast.coordinator_a.email
    link = next(w for w in mail.outbox[0].body.split() if "/konto/" in w)
    assert Client().get(link, follow=True).context["validlink"] is True
    # Asked again at once: the same answer to the asker, no second e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        again = Client().post("/konto/glemt-passord/", {"email": cast.coordinator_a.username})
    assert again.status_code == 302 and len(mail.outbox) == 1
