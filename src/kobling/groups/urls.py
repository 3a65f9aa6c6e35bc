from django.urls import path

from kobling.groups import views

urlpatterns = [
    path("forlop/<int:pk>/deltakerkort/", views.card_send, name="group_card_send"),
    path("kort/<str:token>/", views.card_page, name="group_card"),
    path(
        "bekreft-oppmote/<str:token>/",
        views.attendance_confirmation,
        name="group_attendance_confirmation",
    ),
    path("grupper/", views.offer_list, name="group_offer_list"),
    path("grupper/ny/", views.offer_create, name="group_offer_create"),
    path("grupper/<int:pk>/", views.offer_detail, name="group_offer_detail"),
    path("grupper/<int:pk>/endre/", views.offer_edit, name="group_offer_edit"),
    path("grupper/<int:pk>/meld-pa/", views.offer_enrol, name="group_offer_enrol"),
    path("samlinger/<int:pk>/", views.meeting_attendance, name="group_meeting_attendance"),
    path(
        "samlinger/<int:pk>/bestridt/",
        views.meeting_dispute_keep,
        name="group_meeting_dispute_keep",
    ),
    path("samlinger/<int:pk>/vikar/", views.meeting_substitute, name="group_meeting_substitute"),
]
