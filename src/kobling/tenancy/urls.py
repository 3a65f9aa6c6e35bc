from django.urls import path

from kobling.tenancy import views

urlpatterns = [
    path("revisjon/", views.audit_list, name="audit_list"),
]
