from django.urls import path

from kobling.workplace import ia_views, network_views, views

urlpatterns = [
    path("arbeidsplass/", views.assignment_list, name="workplace_assignment_list"),
    path("arbeidsplass/virksomhet/ny/", views.workplace_create, name="workplace_create"),
    path("arbeidsplass/oppdrag/ny/", views.assignment_create, name="workplace_assignment_create"),
    path(
        "arbeidsplass/oppdrag/<int:pk>/",
        views.assignment_detail,
        name="workplace_assignment_detail",
    ),
    path("arbeidsplass/oppdrag/<int:pk>/mote/", views.meeting_new, name="workplace_meeting_new"),
    path(
        "arbeidsplass/oppdrag/<int:pk>/referat.pdf",
        views.minutes_pdf,
        name="workplace_minutes_pdf",
    ),
    path("arbeidsplass/ia-tall/", ia_views.figures, name="workplace_ia_figures"),
    path("arbeidsplass/ia-tall/region/", ia_views.region_figures, name="workplace_ia_region"),
    path("arbeidsplass/nyhetsbrev/", ia_views.newsletter, name="workplace_newsletter"),
    path("arbeidsplass/nettverk/", network_views.network_list, name="workplace_network_list"),
    path(
        "arbeidsplass/nettverk/ny/", network_views.network_create, name="workplace_network_create"
    ),
    path(
        "arbeidsplass/nettverk/<int:pk>/",
        network_views.network_detail,
        name="workplace_network_detail",
    ),
    path(
        "arbeidsplass/nettverksmote/<int:pk>/",
        network_views.network_meeting,
        name="workplace_network_meeting",
    ),
]
