from django.urls import path

from kobling.core import outbox_views

urlpatterns = [
    path("utsendinger/", outbox_views.outbox_list, name="outbox_list"),
]
