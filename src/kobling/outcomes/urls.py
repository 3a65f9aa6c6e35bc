from django.urls import path

from kobling.outcomes import views

urlpatterns = [
    path("par/<int:pk>/mal/nytt/", views.goal_create, name="goal_create"),
    path("mal/<int:pk>/", views.goal_edit, name="goal_edit"),
    path("par/<int:pk>/evaluering/ny/", views.review_create, name="review_create"),
    path("forlop/<int:pk>/evaluering/ny/", views.course_review_create, name="course_review_create"),
    path("par/<int:pk>/resultater/", views.pairing_outcomes, name="pairing_outcomes"),
    path("evalueringer/<int:pk>/korriger/", views.review_correct, name="review_correct"),
    path(
        "tiltak/<int:programme_pk>/maleinstrumenter/",
        views.programme_instruments,
        name="programme_instruments",
    ),
    path("oppfolging-etter-slutt/", views.followup_list, name="followup_list"),
    path("oppfolging/<str:token>/", views.followup_answer, name="followup_answer"),
]
