from django.urls import path

from kobling.quality import views

urlpatterns = [
    path("kvalitet/", views.quality_list, name="quality_list"),
    path("kvalitet/ny/", views.quality_create, name="quality_create"),
    path("kvalitet/<int:pk>/", views.quality_detail, name="quality_detail"),
    path("kvalitet/<int:pk>/endre/", views.quality_edit, name="quality_edit"),
    path("kvalitet/<int:pk>/send-inn/", views.quality_submit, name="quality_submit"),
    path("kvalitet/<int:pk>/korriger/", views.quality_correct, name="quality_correct"),
    path("kvalitet/<int:pk>/slett/", views.quality_discard, name="quality_discard"),
    path("kvalitet/program/<int:pk>/utvikling/", views.quality_trend, name="quality_trend"),
    path(
        "kvalitet/program/<int:pk>/utvikling.csv",
        views.quality_trend_csv,
        name="quality_trend_csv",
    ),
    path(
        "kvalitet/program/<int:pk>/nokkelpersoner/",
        views.quality_key_persons,
        name="quality_key_persons",
    ),
]
