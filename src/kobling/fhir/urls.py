"""/fhir/R4/ (mounted by config/urls.py): one view routes every FHIR interaction."""

from django.urls import path, re_path

from kobling.fhir import views

urlpatterns = [
    path("", views.endpoint, name="fhir-base"),
    path("<str:resource_type>", views.endpoint, name="fhir-type"),
    path("<str:resource_type>/<str:ident>", views.endpoint, name="fhir-instance"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="fhir-unknown"),
]
