from django.urls import path

from kobling.core import tenancy_views as views

urlpatterns = [
    path("revisjon/", views.audit_list, name="audit_list"),
    path("brukere/", views.membership_list, name="membership_list"),
    path("innstillinger/", views.settings_page, name="settings"),
]
