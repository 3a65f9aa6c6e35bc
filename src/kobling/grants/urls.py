from django.urls import path

from kobling.grants import portal, views

urlpatterns = [
    # The case officers' pages.
    path("tilskudd/ordninger/", views.scheme_list, name="grant_scheme_list"),
    path("tilskudd/ordninger/ny/", views.scheme_create, name="grant_scheme_create"),
    path("tilskudd/ordninger/<int:pk>/", views.scheme_detail, name="grant_scheme_detail"),
    path("tilskudd/ordninger/<int:pk>/endre/", views.scheme_edit, name="grant_scheme_edit"),
    path("tilskudd/ordninger/<int:pk>/kriterier/", views.criterion_add, name="grant_criterion_add"),
    path("tilskudd/ordninger/<int:pk>/runder/ny/", views.round_create, name="grant_round_create"),
    path("tilskudd/ordninger/<int:pk>/oversikt/<int:year>/", views.overview, name="grant_overview"),
    path(
        "tilskudd/ordninger/<int:pk>/oversikt/<int:year>.csv",
        views.overview_csv,
        name="grant_overview_csv",
    ),
    path(
        "tilskudd/ordninger/<int:pk>/oversikt/<int:year>.pdf",
        views.overview_pdf,
        name="grant_overview_pdf",
    ),
    path("tilskudd/runder/<int:pk>/", views.round_detail, name="grant_round_detail"),
    path("tilskudd/runder/<int:pk>/endre/", views.round_edit, name="grant_round_edit"),
    path("tilskudd/soknader/<int:pk>/", views.application_detail, name="grant_application_detail"),
    path(
        "tilskudd/soknader/<int:pk>/poeng/", views.application_score, name="grant_application_score"
    ),
    path(
        "tilskudd/soknader/<int:pk>/inhabil/",
        views.application_conflict,
        name="grant_application_conflict",
    ),
    path(
        "tilskudd/soknader/<int:pk>/vedtak/",
        views.application_decide,
        name="grant_application_decide",
    ),
    path(
        "tilskudd/soknader/<int:pk>/avtale/",
        views.application_agreement,
        name="grant_application_agreement",
    ),
    path(
        "tilskudd/soknader/<int:pk>/utbetalt/",
        views.application_paid,
        name="grant_application_paid",
    ),
    path(
        "tilskudd/soknader/<int:pk>/tilbakebetaling/",
        views.application_reclaim,
        name="grant_application_reclaim",
    ),
    path("tilskudd/soknader/<int:pk>/rapport/", views.report_review, name="grant_report_review"),
    path(
        "tilskudd/soknader/<int:pk>/vedlegg/<int:attachment_pk>/",
        views.attachment_download,
        name="grant_attachment",
    ),
    path("tilskudd/soknader/<int:pk>/brev/<int:decision_pk>/", views.letter, name="grant_letter"),
    path(
        "tilskudd/soknader/<int:pk>/brev/<int:decision_pk>.pdf",
        views.letter_pdf_page,
        name="grant_letter_pdf",
    ),
    path("tilskudd/innstillinger/", views.settings_page, name="grant_settings"),
    # The organisations' pages (no password account: the e-mailed link).
    path("tilskudd/kommune/<str:code>/", portal.public_page, name="grant_public"),
    path("tilskudd/lenke/<str:token>/", portal.signin, name="grant_signin"),
    path("tilskudd/organisasjon/", portal.org_home, name="grant_org_home"),
    path("tilskudd/organisasjon/logg-ut/", portal.signout, name="grant_org_signout"),
    path(
        "tilskudd/organisasjon/runder/<int:round_pk>/sok/", portal.org_apply, name="grant_org_apply"
    ),
    path(
        "tilskudd/organisasjon/soknader/<int:pk>/",
        portal.org_application,
        name="grant_org_application",
    ),
    path(
        "tilskudd/organisasjon/soknader/<int:pk>/vedlegg/",
        portal.org_attachment_add,
        name="grant_org_attachment_add",
    ),
    path(
        "tilskudd/organisasjon/soknader/<int:pk>/vedlegg/<int:attachment_pk>/",
        portal.org_attachment,
        name="grant_org_attachment",
    ),
    path(
        "tilskudd/organisasjon/soknader/<int:pk>/brev/<int:decision_pk>/",
        portal.org_letter,
        name="grant_org_letter",
    ),
    path(
        "tilskudd/organisasjon/soknader/<int:pk>/brev/<int:decision_pk>.pdf",
        portal.org_letter_pdf,
        name="grant_org_letter_pdf",
    ),
    path(
        "tilskudd/organisasjon/soknader/<int:pk>/rapport/",
        portal.org_report,
        name="grant_org_report",
    ),
]
