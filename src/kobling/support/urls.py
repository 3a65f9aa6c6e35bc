from django.urls import path

from kobling.support import views

urlpatterns = [
    path("veiledning/", views.home, name="supervision_home"),
    path("veiledning/grupper/ny/", views.group_create, name="supervision_group_create"),
    path("veiledning/grupper/<int:pk>/", views.group_detail, name="supervision_group"),
    path("veiledning/grupper/<int:pk>/endre/", views.group_edit, name="supervision_group_edit"),
    path("veiledning/moter/<int:pk>/", views.meeting_attendance, name="supervision_meeting"),
    path("veiledning/hjelpere/<int:pk>/", views.helper_lines, name="supervision_helper"),
    path("veiledning/linjer/<int:pk>/korriger/", views.entry_correct, name="supervision_correct"),
    path("veiledning/pott/<int:pk>/", views.pool, name="supervision_pool"),
]
urlpatterns.append(
    path("kurs/<int:pk>/evaluering/", views.run_evaluation, name="support_run_evaluation")
)
urlpatterns += [
    path("kurs/<int:pk>/evaluering/send/", views.run_forms_send, name="support_run_forms_send"),
    path(
        "kurs/tilbydere/<int:pk>/evaluering/",
        views.provider_evaluation,
        name="support_provider_evaluation",
    ),
    path("kursskjema/<str:token>/", views.training_form, name="support_training_form"),
    path(
        "veiledning/kursskjema/<int:pk>/<str:form>/",
        views.own_training_form,
        name="support_own_training_form",
    ),
]
