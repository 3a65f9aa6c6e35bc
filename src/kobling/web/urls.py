from django.contrib.auth import views as auth_views
from django.urls import include, path

from kobling.core import health
from kobling.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("konto/logg-inn/", views.LoginView.as_view(), name="login"),
    path("konto/logg-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path("konto/tofaktor/", views.two_factor, name="two_factor"),
    path("konto/glemt-passord/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "konto/glemt-passord/sendt/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("konto/passord/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path(
        "konto/passord/ferdig/",
        auth_views.PasswordResetCompleteView.as_view(template_name="web/password_set_done.html"),
        name="password_reset_complete",
    ),
    path("", include("kobling.core.urls")),
    path("", include("kobling.helpers.urls")),
    path("", include("kobling.courses.urls")),
    path("", include("kobling.matching.urls")),
    path("", include("kobling.followup.urls")),
    path("", include("kobling.groups.urls")),
    path("", include("kobling.outcomes.urls")),
    path("", include("kobling.providers.urls")),
    path("", include("kobling.grants.urls")),
    path("", include("kobling.rehab.urls")),
    path("", include("kobling.support.urls")),
    path("", include("kobling.workplace.urls")),
    path("", include("kobling.catalogue.urls")),
    path("", include("kobling.pay.urls")),
    path("", include("kobling.dashboards.urls")),
    path("", include("kobling.national.urls")),
    path("", include("kobling.pilots.urls")),
    path("", include("kobling.profiles.urls")),
    path("", include("kobling.quality.urls")),
    path("", include("kobling.research.urls")),
    path("", include("kobling.partners.urls")),
    path("", include("kobling.referrals.urls")),
    path("", include("kobling.core.outbox_urls")),
]
