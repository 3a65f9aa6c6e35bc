from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("kobling.api.urls")),
    path("fhir/R4/", include("kobling.fhir.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("kobling.web.urls")),
]

# MEDIA_ROOT is never served as such, not even in development: uploaded files (receipts) are
# personal and reach people only through scoped, audited views (kobling.pay).

handler500 = "kobling.web.views.server_error"
