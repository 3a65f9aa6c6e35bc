from django.urls import path

from kobling.research import views

urlpatterns = [
    path("forskning/", views.ExportListView.as_view(), name="research_export_list"),
    path("forskning/ny/", views.export_create_page, name="research_export_create"),
    path("forskning/<int:pk>/", views.ExportDetailView.as_view(), name="research_export_detail"),
]
