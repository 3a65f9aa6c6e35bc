"""Leader networks: 5–10 leaders, one or two coach facilitators, a meeting plan, and a held
meeting's attendance, homework and minutes — by page and by API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kobling.lib.errors import ConflictError
from kobling.tenancy.choices import Role
from kobling.tenancy.models import Membership
from kobling.workplace import networks
from kobling.workplace.forms import NetworkForm
from tests.conftest import signed_in
from tests.workplace.conftest import coach

pytestmark = pytest.mark.django_db


def test_a_network_has_five_to_ten_leaders_and_one_or_two_coaches(cast, hefa, network):
    members = list(network.members.all())
    with pytest.raises(ValidationError, match="5 to 10"):
        networks.network_create(
            by=hefa.adviser_a,
            municipality=cast.a,
            name="Liten",
            members=members[:4],
            facilitators=[hefa.coach_a],
        )
    with pytest.raises(ValidationError, match="One or two"):
        networks.network_create(
            by=hefa.adviser_a,
            municipality=cast.a,
            name="Tre",
            members=members,
            facilitators=[hefa.coach_a, hefa.coach_a2, hefa.coach_b],
        )
    with pytest.raises(ValidationError, match="workplaces that have a leader"):
        networks.network_create(
            by=hefa.adviser_a,
            municipality=cast.a,
            name="Blandet",
            members=[*members[:4], hefa.workplace_b],
            facilitators=[hefa.coach_a],
        )


def test_the_facilitator_records_a_held_meeting_on_the_page(hefa, network):
    held, planned = network.meetings.order_by("date")
    coach = signed_in(hefa.coach_user_a)
    url = f"/arbeidsplass/nettverksmote/{held.pk}/"
    came = [hefa.workplace_a.pk, hefa.workplace_a2.pk]
    response = coach.post(
        url, {"version": 1, "attended": came, "homework": "Samtaler", "minutes": "Referat"}
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.held and set(held.attended.values_list("pk", flat=True)) == set(came)
    stale = coach.post(url, {"version": 1, "attended": came, "minutes": "Nytt"})
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    page = signed_in(hefa.leader_a).get(f"/arbeidsplass/nettverk/{network.pk}/").content.decode()
    assert "Referat" in page and "2 / 5" in page and "Tilrettelegging" in page
    # The leader sees, does not record; a planned meeting is not recorded before its day.
    assert signed_in(hefa.leader_a).get(url).status_code == 403
    with pytest.raises(ValidationError, match="once it has been held"):
        networks.meeting_record(
            by=hefa.coach_user_a,
            meeting=planned,
            attended=[],
            homework="",
            minutes="",
            expected_version=planned.version,
        )
    with pytest.raises(ConflictError):
        networks.meeting_record(
            by=hefa.adviser_a,
            meeting=held,
            attended=[],
            homework="",
            minutes="",
            expected_version=1,
        )


def test_a_network_is_made_and_recorded_through_the_api(cast, hefa, network, api):
    members = [w.pk for w in network.members.all()]
    made = api(hefa.adviser_a).post(
        "/api/v1/leader-networks/",
        {
            "municipality": cast.a.pk,
            "name": "Skoleledere",
            "members": members,
            "facilitators": [hefa.coach_a.pk, hefa.coach_a2.pk],
            "plan": [{"date": str(timezone.localdate()), "topic": "Oppstart"}],
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    meetings = (
        api(hefa.coach_user_a2)
        .get(f"/api/v1/leader-network-meetings/?network={made.json()['id']}")
        .json()["results"]
    )
    assert [m["topic"] for m in meetings] == ["Oppstart"]
    recorded = api(hefa.coach_user_a2).post(
        f"/api/v1/leader-network-meetings/{meetings[0]['id']}/record/",
        {"version": 1, "attended": members[:3], "minutes": "Godt møte"},
        format="json",
    )
    assert recorded.status_code == 200 and recorded.json()["held"] is True
    assert (
        api(hefa.leader_a)
        .post(
            f"/api/v1/leader-network-meetings/{meetings[0]['id']}/record/",
            {"version": 2, "attended": []},
            format="json",
        )
        .status_code
        == 403
    )
    assert (
        api(hefa.coach_user_a)
        .post("/api/v1/leader-networks/", {"name": "x"}, format="json")
        .status_code
        == 403
    )


def test_a_facilitator_without_the_coach_role_no_longer_records(hefa, network):
    held, _planned = network.meetings.order_by("date")
    Membership.objects.filter(user=hefa.coach_user_a, role=Role.WORKPLACE_COACH).delete()
    former = type(hefa.coach_user_a).objects.get(pk=hefa.coach_user_a.pk)
    assert not held.permits(former, "log") and not network.permits(former, "log")
    with pytest.raises(PermissionDenied):
        networks.meeting_plan_add(by=former, network=network, date=held.date, topic="Uten rolle")


def test_only_a_trained_coach_facilitates(cast, hefa, network):
    """As for linking a coach to an assignment: a coach without a valid qualification from the
    coach training is neither offered on the form nor accepted."""
    untrained = coach(hefa.programme, trained=False, first_name="Ulært")
    with pytest.raises(ValidationError, match="trained coaches"):
        networks.network_create(
            by=hefa.adviser_a,
            municipality=cast.a,
            name="Uten kurs",
            members=list(network.members.all()),
            facilitators=[untrained],
        )
    form = NetworkForm(municipality_id=cast.a.pk)
    offered = set(form.fields["facilitators"].queryset)
    assert hefa.coach_a in offered and untrained not in offered
