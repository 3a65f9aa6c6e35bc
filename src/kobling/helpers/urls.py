from django.urls import path

from kobling.helpers import views

urlpatterns = [
    path("kontakter/", views.HelperListView.as_view(), name="helper_list"),
    path("kontakter/oversikt/", views.helper_overview_page, name="helper_overview"),
    path("kontakter/ny/", views.helper_create_page, name="helper_create"),
    path("kontakter/eksport/", views.helper_export_page, name="helper_export"),
    path("kontakter/import/", views.helper_import_page, name="helper_import"),
    path("kontakter/<int:pk>/", views.HelperDetailView.as_view(), name="helper_detail"),
    path("kontakter/<int:pk>/endre/", views.helper_edit_page, name="helper_edit"),
    path("kontakter/<int:pk>/status/", views.helper_status_page, name="helper_status"),
    path("bli-treningskontakt/<str:municipality_code>/", views.signup_page, name="helper_signup"),
    path("innsjekk/<str:token>/", views.checkin_answer_page, name="checkin_answer"),
]
