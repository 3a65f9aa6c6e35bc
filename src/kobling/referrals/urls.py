from django.urls import path

from kobling.referrals import episode_views, views

urlpatterns = [
    path("henvisninger/", views.ReferralListView.as_view(), name="referral_list"),
    path("henvisninger/ny/", views.referral_create_page, name="referral_create"),
    path("henvisninger/<int:pk>/", views.ReferralDetailView.as_view(), name="referral_detail"),
    path("henvisninger/<int:pk>/rediger/", views.referral_edit_page, name="referral_edit"),
    path("henvisninger/<int:pk>/vedtak/", views.referral_decide_page, name="referral_decide"),
    path(
        "henvisninger/<int:pk>/vedtak/<int:decision_pk>/brev/",
        views.decision_letter_page,
        name="referral_letter",
    ),
    path(
        "henvisninger/<int:pk>/vedtak/<int:decision_pk>/brev.pdf",
        views.decision_letter_pdf_page,
        name="referral_letter_pdf",
    ),
    path("henvisninger/<int:pk>/slaa-sammen/", views.referral_merge_page, name="referral_merge"),
    path("henvisninger/<int:pk>/trekk/", views.referral_withdraw_page, name="referral_withdraw"),
    path("henvisninger/<int:pk>/samtykke/", views.consent_create_page, name="referral_consent"),
    path("henvisninger/<int:pk>/ytelse/", views.benefit_check_page, name="referral_benefit"),
    path(
        "henvisninger/<int:pk>/samtykke/<int:consent_pk>/trekk/",
        views.consent_withdraw_page,
        name="referral_consent_withdraw",
    ),
    path("forlop/", episode_views.EpisodeListView.as_view(), name="episode_list"),
    path("forlop/<int:pk>/", episode_views.episode_timeline_page, name="episode_timeline"),
    path("forlop/<int:pk>/samtale/", episode_views.conversation_page, name="episode_conversation"),
    path("forlop/<int:pk>/avslutt/", episode_views.episode_end_page, name="episode_end"),
    path("venteliste/", views.waiting_list_page, name="waiting_list"),
    path("tilbud-og-behov/", views.supply_demand_page, name="supply_demand"),
    path(
        "tiltak/<int:programme_pk>/opptakskriterier/",
        views.eligibility_page,
        name="eligibility_edit",
    ),
    path("soknad/<str:municipality_code>/", views.application_page, name="referral_application"),
]
