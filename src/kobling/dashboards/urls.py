from django.urls import path

from kobling.dashboards import views

urlpatterns = [
    path("evaluering/", views.dashboard_home, name="dashboard_home"),
    path("evaluering/<int:pk>/", views.dashboard, name="dashboard"),
    path("evaluering/<int:pk>/csv/", views.dashboard_csv, name="dashboard_csv"),
    path("evaluering/<int:pk>/rapport.pdf", views.dashboard_pdf, name="dashboard_pdf"),
    path("evaluering/<int:pk>/arsrapport/", views.group_year_report, name="group_year_report"),
    path(
        "evaluering/<int:pk>/arsrapport/csv/",
        views.group_year_report_csv,
        name="group_year_report_csv",
    ),
    path(
        "evaluering/<int:pk>/arsrapport.pdf",
        views.group_year_report_pdf,
        name="group_year_report_pdf",
    ),
]
