from django.urls import path

from kobling.partners import org_views, premises_views, views

urlpatterns = [
    path("partnere/", views.PartnerListView.as_view(), name="partner_list"),
    path("partnere/ny/", views.partner_create, name="partner_create"),
    path("partnere/eksport.csv", views.partner_export, name="partner_export"),
    path("partnere/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("partnere/<int:pk>/endre/", views.partner_edit, name="partner_edit"),
    path("partnere/<int:pk>/avtaler/ny/", views.agreement_create, name="agreement_create"),
    path(
        "partnere/<int:pk>/avtaler/<int:agreement_pk>/endre/",
        views.agreement_edit,
        name="agreement_edit",
    ),
    # Premises lending (staff).
    path("lokaler/", premises_views.premises_list, name="premises_list"),
    path("lokaler/ny/", premises_views.premises_create, name="premises_create"),
    path("lokaler/<int:pk>/", premises_views.premises_detail, name="premises_detail"),
    path("lokaler/<int:pk>/endre/", premises_views.premises_edit, name="premises_edit"),
    path("lokaler/<int:pk>/booking/", premises_views.booking_create, name="premises_book"),
    path(
        "lokaler/<int:pk>/booking/<int:booking_pk>/avlys/",
        premises_views.booking_cancel,
        name="premises_booking_cancel",
    ),
    path("lokaler/<int:pk>/nokler/", premises_views.key_log_add, name="premises_key_log_add"),
    path("lokaler/<int:pk>/hendelser/", premises_views.incident_add, name="premises_incident_add"),
    # The meeting calendar (staff).
    path("moter/", premises_views.meeting_list, name="meeting_list"),
    path("moter/ny/", premises_views.meeting_create, name="meeting_create"),
    path("moter/<int:pk>/", premises_views.meeting_detail, name="meeting_detail"),
    path("moter/<int:pk>/endre/", premises_views.meeting_edit, name="meeting_edit"),
    path("moter/<int:pk>/inviter/", premises_views.meeting_invite, name="meeting_invite"),
    path("moter/<int:pk>/oppmote/", premises_views.meeting_attendance, name="meeting_attendance"),
    # The organisation's own pages (its contact person's e-mailed sign-in).
    path("organisasjon/", org_views.org_home, name="org_home"),
    path("organisasjon/lokaler/<int:pk>/", org_views.org_premises, name="org_premises"),
    path(
        "organisasjon/bookinger/<int:pk>/avlys/",
        org_views.org_booking_cancel,
        name="org_booking_cancel",
    ),
    path("organisasjon/moter/<int:pk>/", org_views.org_meeting, name="org_meeting"),
]
