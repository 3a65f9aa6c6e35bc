"""The units' own pages: offers entered and changed (versioned) and courses registered through
the same services as the API, and the menu's links to them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kobling.rehab.models import RehabCourse, RehabOffer
from kobling.tenancy.models import AuditEntry
from tests.conftest import signed_in
from tests.rehab.builders import build

pytestmark = pytest.mark.django_db

OFFER = {
    "name": "Gåtrening for klaudikasjon",
    "serves_pad": "on",
    "setting": "hospital_outpatient",
    "format": "group",
    "length_weeks": "12",
    "sessions_per_week": "3",
    "capacity": "10",
    "takes_new_patients": "on",
    "county_code": "46",
    "place": "Bergen",
}


@pytest.fixture
def world(cast):
    return build(cast)


def test_a_coordinator_enters_an_offer_that_the_public_list_shows(cast, world, client):
    page = signed_in(world.h.coordinator)
    response = page.post(reverse("web:rehab_offer_create"), {**OFFER, "unit": world.h.unit.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = RehabOffer.objects.get(name=OFFER["name"])
    assert offer.municipality == world.h.unit and offer.serves_pad and not offer.serves_chd
    assert (
        "Gåtrening for klaudikasjon"
        in client.get(reverse("web:rehab_public_offers"), {"diagnose": "pad"}).content.decode()
    )


def test_an_offer_serves_a_diagnosis_group_and_belongs_to_a_managed_unit(cast, world):
    page = signed_in(world.h.coordinator)
    data = {**OFFER, "unit": world.h.unit.pk}
    del data["serves_pad"]
    response = page.post(reverse("web:rehab_offer_create"), data)
    assert response.status_code == 200
    assert not RehabOffer.objects.filter(name=OFFER["name"]).exists()
    # Another hospital is not a choice.
    response = page.post(reverse("web:rehab_offer_create"), {**OFFER, "unit": world.h2.unit.pk})
    assert response.status_code == 200
    assert not RehabOffer.objects.filter(name=OFFER["name"]).exists()


def test_a_stale_version_of_an_offer_is_refused(cast, world):
    offer = world.h.offer
    url = reverse("web:rehab_offer_edit", args=[offer.pk])
    first, second = signed_in(world.h.coordinator), signed_in(world.h.admin)
    assert f'name="version" value="{offer.version}"' in first.get(url).content.decode()
    base = {
        "name": offer.name,
        "serves_chd": "on",
        "setting": offer.setting,
        "format": offer.format,
        "length_weeks": "12",
        "sessions_per_week": "2",
        "capacity": "16",
        "county_code": "46",
        "version": str(offer.version),
    }
    assert first.post(url, {**base, "capacity": "20"}).status_code == 302
    response = second.post(url, {**base, "capacity": "8"})  # read before the first change
    assert response.status_code == 200
    assert "nothing was saved" in response.content.decode() or "ble ikke lagret" in (
        response.content.decode()
    )
    offer.refresh_from_db()
    assert offer.capacity == 20 and offer.version == 2


def test_a_clinician_registers_a_waiting_course(cast, world):
    episode = world.waiting
    page = signed_in(world.h.clinician)
    listing = page.get(reverse("web:rehab_unit_register")).content.decode()
    assert "Venter Registrering" in listing
    assert AuditEntry.objects.filter(
        user=world.h.clinician, action="view", object_type="referrals.episode"
    ).exists()
    url = reverse("web:rehab_course_register", args=[episode.pk])
    data = {
        "diagnosis": "chd",
        "icd10": "J44",  # COPD's code: refused
        "index_event": "mi",
        "index_date": "2025-04-20",
        "referral_date": "2025-05-02",
        "offer": world.h.offer.pk,
    }
    response = page.post(url, data)
    assert response.status_code == 200
    assert not RehabCourse.objects.filter(episode=episode).exists()
    assert page.post(url, {**data, "icd10": "I21"}).status_code == 302
    course = RehabCourse.objects.get(episode=episode)
    assert (course.diagnosis, course.icd10, course.index_date) == (
        "chd",
        "I21",
        dt.date(2025, 4, 20),
    )
    assert course.offer == world.h.offer and course.municipality == world.h.unit
    # Registered: no longer waiting, and listed as registered.
    assert page.get(url).status_code == 404
    listing = page.get(reverse("web:rehab_unit_register")).content.decode()
    assert listing.count("Venter Registrering") == 1


def test_another_units_offer_is_not_a_choice_for_a_course(cast, world):
    page = signed_in(world.h.clinician)
    url = reverse("web:rehab_course_register", args=[world.waiting.pk])
    response = page.post(
        url,
        {
            "diagnosis": "chd",
            "icd10": "I21",
            "index_event": "mi",
            "index_date": "2025-04-20",
            "referral_date": "2025-05-02",
            "offer": world.h2.offer.pk,
        },
    )
    assert response.status_code == 200
    assert not RehabCourse.objects.filter(episode=world.waiting).exists()


def _menu(user):
    html = signed_in(user).get(reverse("web:rehab_participation")).content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    return (
        reverse("web:rehab_participation") in nav,
        reverse("web:rehab_unit_register") in nav,
    )


def test_the_menu_links_the_register_for_hospital_coordinators_and_clinicians(cast, world):
    assert _menu(world.h.coordinator) == (True, True)  # not a clinician
    assert _menu(world.h.admin) == (True, True)
    assert _menu(world.h.clinician) == (True, True)
    assert _menu(world.region_staff) == (True, False)
    assert _menu(cast.analyst) == (True, False)
    # A municipality's coordinator: no rehabilitation links.
    html = signed_in(cast.coordinator_a).get(reverse("web:helper_list")).content.decode()
    assert reverse("web:rehab_unit_register") not in html
