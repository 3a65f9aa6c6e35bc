from django.urls import path

from kobling.partners import views

urlpatterns = [
    path("partnere/", views.PartnerListView.as_view(), name="partner_list"),
    path("partnere/ny/", views.partner_create, name="partner_create"),
    path("partnere/eksport.csv", views.partner_export, name="partner_export"),
    path("partnere/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("partnere/<int:pk>/endre/", views.partner_edit, name="partner_edit"),
    path("partnere/<int:pk>/avtaler/ny/", views.agreement_create, name="agreement_create"),
    path(
        "partnere/<int:pk>/avtaler/<int:agreement_pk>/endre/",
        views.agreement_edit,
        name="agreement_edit",
    ),
]
