"""The list rows' template filters say exactly what Django's own ways say."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix
from django.utils.translation import override

from kobling.core.templatetags.lists import display, pk_url
from kobling.helpers.choices import HelperStatus
from kobling.helpers.models import Helper
from kobling.referrals.choices import Priority, ReferralStatus
from kobling.referrals.models import Referral


@pytest.mark.parametrize("language", ["nb", "en"])
def test_display_is_get_field_display_in_every_language(language):
    with override(language):
        for status in [*ReferralStatus.values, "no-such-status"]:
            referral = Referral(status=status, priority=Priority.HIGH)
            assert display(referral, "status") == referral.get_status_display()
            assert display(referral, "priority") == referral.get_priority_display()
        for status in HelperStatus.values:
            helper = Helper(status=status)
            assert display(helper, "status") == helper.get_status_display()


def test_display_follows_the_language_of_the_request():
    referral = Referral(status=ReferralStatus.WAITING)
    with override("en"):
        english = display(referral, "status")
        assert english == referral.get_status_display()
    with override("nb"):
        norwegian = display(referral, "status")
        assert norwegian == referral.get_status_display()
    assert english != norwegian


@pytest.mark.parametrize("pk", [1, 42, 918273645, "7"])
def test_pk_url_is_reverse(pk):
    for name in ["web:referral_detail", "web:helper_detail", "web:pairing_detail"]:
        assert pk_url(pk, name) == reverse(name, args=[pk])


def test_pk_url_follows_the_script_prefix():
    try:
        set_script_prefix("/kobling/")
        assert pk_url(5, "web:referral_detail") == reverse("web:referral_detail", args=[5])
        assert pk_url(5, "web:referral_detail").startswith("/kobling/")
    finally:
        set_script_prefix("/")
    assert pk_url(5, "web:referral_detail") == reverse("web:referral_detail", args=[5])


@pytest.mark.parametrize("status", ReferralStatus.values)
def test_the_referral_status_tag_is_the_old_include(status):
    old = Template(
        '<span class="ds-tag" data-color="{% if r.status == \'waiting\' %}info{% elif r.status == '
        "'refused' or r.status == 'withdrawn' %}danger{% elif r.status == 'more_info' %}warning"
        "{% elif r.status == 'paired' or r.status == 'started' %}success{% else %}neutral"
        '{% endif %}">{{ r.get_status_display }}</span>\n'
    )
    new = Template("{% load referrals %}{{ r|referral_status }}\n")
    include = Template('{% include "referrals/_status.html" %}')
    context = Context({"r": Referral(status=status)})
    with override("nb"):
        assert new.render(context) == old.render(context) == include.render(context)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_figures_table_body_is_the_old_template_loop(language):
    from decimal import Decimal

    from django.utils.translation import gettext_lazy

    old = Template(
        "{% load kobling %}{% for row in rows %}<tr>{% for cell in row %}{% if forloop.first %}"
        '<th scope="row">{{ cell }}</th>{% else %}<td class="k-num">{% if cell is None %}–'
        "{% else %}{{ cell|num }}{% endif %}</td>{% endif %}{% endfor %}</tr>{% endfor %}"
    )
    new = Template("{% load lists %}{{ rows|table_body }}")
    rows = [
        [gettext_lazy("Waiting list"), 1234567, None, 12.5, Decimal("1234.50"), "&lt;5"],
        ["<b>Tom & Jerry</b>", 0, -4321, True, "<5", 3.0],
        [2024, 1.23456789, None],
        [],
    ]
    with override(language):
        context = Context({"rows": rows})
        assert new.render(context) == old.render(context)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_date_shown_is_the_date_filter_in_every_language_and_time_zone(language):
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    from kobling.core.templatetags.lists import date_shown

    instant = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    values = [instant, dt.date(2025, 1, 2), dt.datetime(2025, 3, 4, 5, 6), None, "", "x"]
    formats = ["SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "j. F Y"]
    with override(language):
        for zone in ["Europe/Oslo", "America/New_York", "UTC"]:
            with timezone.override(zoneinfo.ZoneInfo(zone)):
                for value in values:
                    for format_ in formats:
                        old = Template(f'{{{{ v|date:"{format_}" }}}}')
                        try:
                            expected = old.render(Context({"v": value}))
                        except TypeError:  # a time format for a date: an error either way
                            with pytest.raises(TypeError):
                                date_shown(value, format_)
                            continue
                        assert date_shown(value, format_) == expected, (zone, value, format_)


OLD_TABLE = '{% load i18n kobling %}<div class="k-table-wrap" tabindex="0" role="region" aria-label="{% translate \'Table, scrolls sideways\' %}"><table class="ds-table"><caption>{{ table.title }}</caption><thead><tr>{% for c in table.columns %}<th scope="col"{% if not forloop.first %} class="k-num"{% endif %}>{{ c }}</th>{% endfor %}</tr></thead><tbody>\n{% for row in table.rows %}<tr>{% for cell in row %}{% if forloop.first %}<th scope="row">{{ cell }}</th>{% else %}<td class="k-num">{% if cell is None %}–{% else %}{{ cell|num }}{% endif %}</td>{% endif %}{% endfor %}</tr>{% endfor %}\n</tbody></table></div>{% if table.note %}<p class="ds-paragraph k-muted" data-size="sm">{{ table.note }}</p>{% endif %}\n'


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("note", ["", "Fewer than <5 & hidden"])
def test_a_figures_table_is_the_old_table_template(language, note):
    from decimal import Decimal
    from types import SimpleNamespace

    from django.template import engines

    table = SimpleNamespace(
        title="Reach & <uptake>",
        columns=["Step", "Referred", "Share %"],
        rows=[["GP", 1234, Decimal("12.5")], ["NAV", None, "&lt;5"]],
        note=note,
    )
    old = engines["django"].from_string(OLD_TABLE)
    new = engines["django"].get_template("dashboards/_table.html")
    with override(language):
        assert new.render({"table": table}) == old.render({"table": table})
