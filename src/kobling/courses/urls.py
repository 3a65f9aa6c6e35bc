from django.urls import path

from kobling.courses import views

urlpatterns = [
    path("kurs/", views.course_list, name="course_list"),
    path("kurs/ny/", views.course_run_create, name="course_run_create"),
    path("kurs/maler/", views.course_template_list, name="course_template_list"),
    path("kurs/kursholder/deltakere/", views.provider_trainees, name="provider_trainees"),
    path("kurs/<int:pk>/", views.course_run_detail, name="course_run_detail"),
    path("kurs/<int:pk>/endre/", views.course_run_edit, name="course_run_edit"),
    path("kurs/<int:pk>/pamelding/", views.course_run_enrol, name="course_run_enrol"),
    path(
        "kurs/<int:pk>/moduler/<int:module_pk>/alle-til-stede/",
        views.module_attendance_all,
        name="module_attendance_all",
    ),
    path(
        "kurs/pameldinger/<int:pk>/oppmote/<int:module_pk>/",
        views.enrolment_attendance,
        name="enrolment_attendance",
    ),
    path("kurs/pameldinger/<int:pk>/vurdering/", views.enrolment_assess, name="enrolment_assess"),
    path("kurs/pameldinger/<int:pk>/fullfor/", views.enrolment_complete, name="enrolment_complete"),
    path("kurs/pameldinger/<int:pk>/trekk/", views.enrolment_withdraw, name="enrolment_withdraw"),
]
