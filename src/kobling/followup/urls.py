from django.urls import path

from kobling.followup import views

urlpatterns = [
    path("par/", views.PairingListView.as_view(), name="pairing_list"),
    path("par/<int:pk>/", views.pairing_detail, name="pairing_detail"),
    path("par/<int:pk>/start/", views.pairing_activate, name="pairing_activate"),
    path("par/<int:pk>/pause/", views.pairing_pause, name="pairing_pause"),
    path("par/<int:pk>/fortsett/", views.pairing_resume, name="pairing_resume"),
    path("par/<int:pk>/avslutt/", views.pairing_end, name="pairing_end"),
    path("par/<int:pk>/oppstartsmote/", views.pairing_intro, name="pairing_intro"),
    path("par/<int:pk>/ny-kobling/", views.pairing_rematch, name="pairing_rematch"),
]
