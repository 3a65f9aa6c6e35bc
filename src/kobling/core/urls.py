from django.urls import path

from kobling.core import access_review_views
from kobling.core import tenancy_views as views

urlpatterns = [
    path("revisjon/", views.audit_list, name="audit_list"),
    path(
        "revisjon/gjennomgang/",
        access_review_views.access_review_page,
        name="access_review",
    ),
    path("brukere/", views.membership_list, name="membership_list"),
    path("innstillinger/", views.settings_page, name="settings"),
]
