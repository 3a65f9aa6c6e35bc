"""The list pages' rows written in Python (referral_row, waiting_row, helper_row, pairing_row)
are the HTML the template loops they replaced wrote, in every shape a row takes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.translation import override

from kobling.followup.models import Pairing
from kobling.helpers.models import Activity, Helper, TargetGroup
from kobling.referrals.models import Decision
from tests import factories as f

pytestmark = pytest.mark.django_db

OLD_REFERRAL = Template(
    "{% load i18n lists referrals %}"
    "<tr>\n"
    "      <td><a href=\"{% url 'web:referral_detail' r.pk %}\">{{ r.participant.full_name }}</a></td>\n"
    "      <td>{% include 'referrals/_status.html' %}</td>\n"
    '      <td class="k-hide-small">{{ r.programme.name }} · {{ r.municipality.name }}</td>\n'
    '      <td class="k-hide-small">{{ r.received_at|date:"SHORT_DATE_FORMAT" }}</td>\n'
    '      <td class="k-hide-small">{% if decision %}{{ decision.get_outcome_display }} '
    '{{ decision.decided_on|date:"SHORT_DATE_FORMAT" }}{% else %}—{% endif %}</td>\n'
    '      {% if can_manage %}<td class="k-hide-small">{{ r.get_priority_display }}</td>{% endif %}\n'
    "    </tr>"
)
NEW_REFERRAL = Template("{% load referrals %}{% referral_row r decision can_manage %}")

OLD_WAITING = Template(
    "{% load i18n %}"
    "<tr>\n"
    "      <td><a href=\"{% url 'web:referral_detail' r.pk %}\">{{ r.participant.full_name }}</a></td>\n"
    "      <td>{{ r.get_priority_display }}</td>\n"
    "      <td>{{ r.waiting_days }}</td>\n"
    '      <td class="k-hide-small">{{ r.programme.name }} · {{ r.municipality.name }}</td>\n'
    '      <td class="k-hide-small">{% for t in r.target_groups.all %}{{ t }}{% if not forloop.last %}'
    ", {% endif %}{% empty %}—{% endfor %}</td>\n"
    '      <td class="k-hide-small">{{ r.preferred_area|default:r.participant.home_area'
    "|default:r.participant.postcode }}</td>\n"
    "      <td class=\"k-hide-small\">{% include 'referrals/_status.html' %}</td>\n"
    "    </tr>"
)
NEW_WAITING = Template("{% load referrals %}{% waiting_row r %}")

OLD_HELPER = Template(
    "{% load i18n %}"
    "<tr>\n"
    "      <td><a href=\"{% url 'web:helper_detail' h.pk %}\">{{ h.full_name }}</a></td>\n"
    '      <td>{{ h.get_status_display }}{% if h.is_unconfirmed %} <span class="ds-tag" '
    'data-color="warning">{% translate "unconfirmed" %}</span>{% endif %}{% if h.paused_until %}'
    ' <span class="k-muted">{% blocktranslate with d=h.paused_until|date:"SHORT_DATE_FORMAT" %}'
    "until {{ d }}{% endblocktranslate %}</span>{% endif %}</td>\n"
    '      <td class="k-hide-small">{{ h.programme.name }} · {{ h.municipality.name }}</td>\n'
    '      <td class="k-hide-small">{{ h.home_area|default:h.postcode }}</td>\n'
    '      <td class="k-hide-small">{% for a in h.activities.all %}{{ a }}{% if not forloop.last %}'
    ", {% endif %}{% endfor %}</td>\n"
    "      <td>{{ h.capacity }}</td>\n"
    "    </tr>"
)
NEW_HELPER = Template("{% load helpers %}{% helper_row h %}")

OLD_PAIRING = Template(
    "{% load i18n %}"
    "<tr>\n"
    '      <td><a href="{% url \'web:pairing_detail\' p.pk %}">{% if shape == "manager" %}'
    '{{ p.participant.full_name }} + {{ p.helper.full_name }}{% elif shape == "contact" %}'
    "{{ p.participant.first_name }}{% else %}{% blocktranslate with "
    'd=p.confirmed_at|date:"SHORT_DATE_FORMAT" %}Pairing from {{ d }}{% endblocktranslate %}'
    '{% endif %}</a>{% if shape == "manager" %} <span class="k-muted k-hide-small">'
    "{{ p.programme.name }} · {{ p.municipality.name }}</span>{% endif %}</td>\n"
    "      <td>{{ p.get_status_display }}</td>\n"
    '      <td class="k-hide-small">{% if shape != "referrer" and p.intro_meeting_at %}'
    '{{ p.intro_meeting_at|date:"SHORT_DATETIME_FORMAT" }}{% else %}—{% endif %}</td>\n'
    '      <td class="k-hide-small">{{ p.started_on|date:"SHORT_DATE_FORMAT"|default:"—" }}</td>\n'
    '      <td class="k-hide-small">{{ p.ended_on|date:"SHORT_DATE_FORMAT"|default:"—" }}</td>\n'
    "    </tr>"
)
NEW_PAIRING = Template("{% load followup %}{% pairing_row p shape %}")


def _same(old: Template, new: Template, **context: object) -> str:
    for language in ("nb", "en"):
        with override(language):
            expected = old.render(Context(context)).replace("</span>\n</td>", "</span></td>")
            assert new.render(Context(context)) == expected
    return expected


def test_referral_and_waiting_rows_are_the_old_loops():
    programme = f.ProgrammeFactory(name="Tren & <gå>")
    waiting = f.ReferralFactory(
        programme=programme, status="waiting", granted_at=timezone.now() - dt.timedelta(days=3)
    )
    waiting.target_groups.set(TargetGroup.objects.all()[:2])
    bare = f.ReferralFactory(programme=programme, status="refused", preferred_area="Øst")
    bare.participant.home_area = ""
    decision = Decision(outcome=Decision._meta.get_field("outcome").choices[0][0])
    decision.decided_on = dt.date(2025, 3, 4)
    for r in (waiting, bare):
        for d in (None, decision):
            for can_manage in (True, False):
                _same(OLD_REFERRAL, NEW_REFERRAL, r=r, decision=d, can_manage=can_manage)
        html = _same(OLD_WAITING, NEW_WAITING, r=r)
    assert "Tren &amp; &lt;gå&gt;" in html


def test_helper_rows_are_the_old_loop():
    plain = f.HelperFactory(home_area="", postcode="6800")
    plain.activities.set(Activity.objects.all()[:3])
    marked = Helper.objects.get(pk=f.HelperFactory(home_area="Nord").pk)
    marked.is_unconfirmed = True
    marked.paused_until = dt.date(2026, 1, 31)
    for h in (plain, marked):
        html = _same(OLD_HELPER, NEW_HELPER, h=h)
    assert 'data-color="warning"' in html


def test_pairing_rows_are_the_old_loop_in_every_shape():
    referral = f.ReferralFactory()
    helper = f.HelperFactory(programme=referral.programme)
    pairing = Pairing(
        pk=12345,
        referral=referral,
        participant=referral.participant,
        helper=helper,
        programme=referral.programme,
        municipality=referral.municipality,
        status="active",
        confirmed_at=timezone.now(),
    )
    later = {
        "intro_meeting_at": timezone.now() + dt.timedelta(days=2),
        "started_on": dt.date(2025, 1, 2),
        "ended_on": dt.date(2025, 6, 30),
    }
    for extra in ({}, later):
        for name, value in extra.items():
            setattr(pairing, name, value)
        for shape in ("manager", "contact", "referrer"):
            _same(OLD_PAIRING, NEW_PAIRING, p=pairing, shape=shape)
