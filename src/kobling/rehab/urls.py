from django.urls import path

from kobling.rehab import views

urlpatterns: list = [
    path("rehabilitering/", views.participation_page, name="rehab_participation"),
    path("rehabilitering/csv/", views.participation_csv, name="rehab_participation_csv"),
    path("rehabilitering/nevnere/", views.denominator_import_page, name="rehab_denominator_import"),
    path("rehabilitering/tilbud/", views.public_offers_page, name="rehab_public_offers"),
    path("rehabilitering/uttrekk/", views.extracts_page, name="rehab_extracts"),
    path(
        "rehabilitering/uttrekk/<slug:register>/",
        views.person_extract_csv,
        name="rehab_person_extract",
    ),
    path(
        "rehabilitering/uttrekk/<slug:register>/aggregat/",
        views.aggregate_extract_csv,
        name="rehab_aggregate_extract",
    ),
    path("rehabilitering/enhet/", views.unit_register_page, name="rehab_unit_register"),
    path("rehabilitering/enhet/tilbud/ny/", views.offer_create_page, name="rehab_offer_create"),
    path("rehabilitering/enhet/tilbud/<int:pk>/", views.offer_edit_page, name="rehab_offer_edit"),
    path(
        "rehabilitering/enhet/forlop/<int:episode_pk>/",
        views.course_register_page,
        name="rehab_course_register",
    ),
]
