"""Course pages (built out in the courses work)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/course_list.html", {})


@login_required
def provider_trainees(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/provider_trainees.html", {})
