from django.urls import path

from kobling.followup import report_views, session_views, views

urlpatterns = [
    # Confirming a matching proposal makes a pairing: followup's workflow, under matching's path.
    path(
        "matching/forslag/<int:pk>/bekreft/",
        views.matching_proposal_confirm,
        name="matching_proposal_confirm",
    ),
    path("par/", views.PairingListView.as_view(), name="pairing_list"),
    path("par/<int:pk>/", views.pairing_detail, name="pairing_detail"),
    path("par/<int:pk>/rapport/", report_views.referrer_report, name="referrer_report"),
    path("par/<int:pk>/rapport.pdf", report_views.referrer_report_pdf, name="referrer_report_pdf"),
    path("forlop/<int:pk>/rapport/", report_views.episode_report, name="episode_report"),
    path("forlop/<int:pk>/rapport.pdf", report_views.episode_report_pdf, name="episode_report_pdf"),
    path("par/<int:pk>/start/", views.pairing_activate, name="pairing_activate"),
    path("par/<int:pk>/pause/", views.pairing_pause, name="pairing_pause"),
    path("par/<int:pk>/fortsett/", views.pairing_resume, name="pairing_resume"),
    path("par/<int:pk>/avslutt/", views.pairing_end, name="pairing_end"),
    path("par/<int:pk>/oppstartsmote/", views.pairing_intro, name="pairing_intro"),
    path("par/<int:pk>/ny-kobling/", views.pairing_rematch, name="pairing_rematch"),
    path("mine-deltakere/", session_views.my_participants, name="my_participants"),
    path("mine-henvisninger/", report_views.my_referrals, name="my_referrals"),
    path("par/<int:pk>/okter/", session_views.pairing_sessions, name="pairing_sessions"),
    path(
        "par/<int:pk>/okter/send-bekreftelse/",
        session_views.session_confirmation_send,
        name="session_confirmation_send",
    ),
    path("okter/<int:pk>/korriger/", session_views.session_correct, name="session_correct"),
    path(
        "okter/<int:pk>/bekreft/",
        session_views.session_confirm_in_person,
        name="session_confirm_in_person",
    ),
    path(
        "bekreft-okter/<str:token>/",
        session_views.session_confirmation,
        name="session_confirmation",
    ),
    path("varsler/", session_views.alert_list, name="alerts"),
]
