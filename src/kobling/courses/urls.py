from django.urls import path

from kobling.courses import views

urlpatterns = [
    path("kurs/", views.course_list, name="course_list"),
    path("kurs/kursholder/deltakere/", views.provider_trainees, name="provider_trainees"),
]
