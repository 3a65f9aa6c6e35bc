from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DenominatorImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: unit;diagnosis;period;sex;age_band;eligible (e.g. H001;chd;2025Q1;female;60-69;12)."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("Where the counts come from (patient administration, quality register)."),
    )
