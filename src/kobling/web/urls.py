from django.contrib.auth import views as auth_views
from django.urls import include, path

from kobling.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("konto/logg-inn/", views.LoginView.as_view(), name="login"),
    path("konto/logg-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("konto/tofaktor/", views.two_factor, name="two_factor"),
    path("", include("kobling.tenancy.urls")),
    path("", include("kobling.helpers.urls")),
    path("", include("kobling.courses.urls")),
]
