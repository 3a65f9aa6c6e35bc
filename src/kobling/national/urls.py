from django.urls import path

from kobling.national import views

urlpatterns = [
    path("nasjonalt/", views.overview, name="national_overview"),
    path("nasjonalt/oversikt.csv", views.overview_csv, name="national_overview_csv"),
    path("nasjonalt/enheter/", views.unit_list, name="national_units"),
    path("nasjonalt/enheter.csv", views.unit_list_csv, name="national_units_csv"),
    path("nasjonalt/enheter/import/", views.unit_import, name="national_unit_import"),
    path("nasjonalt/enheter/<int:pk>/", views.unit_detail, name="national_unit_detail"),
    path("nasjonalt/enheter/<int:pk>/kontakt/", views.unit_contact, name="national_unit_contact"),
    path("nasjonalt/enheter/<int:pk>/region/", views.unit_health, name="national_unit_health"),
    path("nasjonalt/enheter/<int:pk>/status/", views.unit_status, name="national_unit_status"),
    path("nasjonalt/enheter/<int:pk>/samtaler/", views.unit_call, name="national_unit_call"),
    path("nasjonalt/kartlegginger/", views.campaign_list, name="national_campaigns"),
    path(
        "nasjonalt/kartlegginger/<int:pk>/",
        views.campaign_detail,
        name="national_campaign_detail",
    ),
    path(
        "nasjonalt/kartlegginger/<int:pk>/enheter/",
        views.campaign_add_units,
        name="national_campaign_add_units",
    ),
    path(
        "nasjonalt/kartlegginger/<int:pk>/send/",
        views.campaign_dispatch,
        name="national_campaign_dispatch",
    ),
    path(
        "nasjonalt/kartlegginger/<int:pk>/svar.csv",
        views.campaign_answers_csv,
        name="national_campaign_answers_csv",
    ),
    path("nasjonalt/skjema/", views.template_list, name="national_templates"),
    path("nasjonalt/skjema/<int:pk>/", views.template_detail, name="national_template_detail"),
    path(
        "nasjonalt/skjema/<int:pk>/sporsmal/",
        views.question_create,
        name="national_question_create",
    ),
    path("nasjonalt/sporsmal/<int:pk>/", views.question_edit, name="national_question_edit"),
    path("kartlegging/<str:token>/", views.survey_answer, name="national_survey_answer"),
]
