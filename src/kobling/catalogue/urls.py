from django.urls import path

from kobling.catalogue import views

urlpatterns = [
    path("tilbud/", views.search, name="catalogue_search"),
    path("tilbud/kommune/<str:code>/", views.municipality_page, name="catalogue_municipality"),
    path("tilbud/<int:pk>/", views.offer_page, name="catalogue_offer"),
    path("tilbud/forvalt/", views.manage, name="catalogue_manage"),
    path("tilbud/forvalt/ny/", views.offer_create, name="catalogue_offer_create"),
    path("tilbud/forvalt/fra-kilde/", views.offer_from_source, name="catalogue_offer_from_source"),
    path("tilbud/forvalt/<int:pk>/", views.offer_edit, name="catalogue_offer_edit"),
    path("tilbud/forvalt/<int:pk>/publiser/", views.offer_publish, name="catalogue_offer_publish"),
    path("forlop/<int:pk>/tilbud/", views.handover, name="catalogue_handover"),
    path("tilbud/organisasjon/", views.org_home, name="catalogue_org_home"),
    path("tilbud/organisasjon/ny/", views.org_create, name="catalogue_org_create"),
    path("tilbud/organisasjon/<int:pk>/", views.org_edit, name="catalogue_org_edit"),
]
