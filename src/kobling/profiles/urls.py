from django.urls import path

from kobling.profiles import views

urlpatterns = [
    path("folkehelseprofiler/", views.profiles_compare, name="profiles_compare"),
    path(
        "folkehelseprofiler/sammenligning.csv",
        views.profiles_compare_csv,
        name="profiles_compare_csv",
    ),
    path("folkehelseprofiler/import/", views.profiles_import, name="profiles_import"),
    path("folkehelseprofiler/status/", views.profiles_status, name="profiles_status"),
]
