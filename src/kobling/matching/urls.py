from django.urls import path

from kobling.matching import views

urlpatterns = [
    path("matching/", views.matching_home, name="matching"),
    path("matching/kjoring/", views.matching_run_start, name="matching_run_start"),
    path("matching/vekter/", views.matching_weights, name="matching_weights"),
    path("matching/kjoringer/<int:pk>/", views.matching_run_detail, name="matching_run_detail"),
    path(
        "matching/forslag/<int:pk>/avvis/",
        views.matching_proposal_reject,
        name="matching_proposal_reject",
    ),
    path(
        "matching/forslag/<int:pk>/regel/",
        views.matching_proposal_rule,
        name="matching_proposal_rule",
    ),
    path(
        "matching/regler/<int:pk>/slett/", views.matching_rule_delete, name="matching_rule_delete"
    ),
]
