from django.urls import path

from kobling.pilots import views

urlpatterns: list = [
    path("piloter/", views.pilot_list, name="pilot_list"),
    path("piloter/ny/", views.pilot_create, name="pilot_create"),
    path("piloter/<int:pk>/", views.pilot_detail, name="pilot_detail"),
    path("piloter/<int:pk>/endre/", views.pilot_edit, name="pilot_edit"),
    path("piloter/<int:pk>/csv/", views.pilot_csv, name="pilot_csv"),
    path("piloter/<int:pk>/pdf/", views.pilot_pdf, name="pilot_pdf"),
]
