"""The versioned API. Each app registers its viewsets in its own ``api.py``'s ``register``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from kobling.api import auth
from kobling.catalogue import api as catalogue_api
from kobling.core import access_review_api, outbox_api, tenancy_api
from kobling.courses import api as courses_api
from kobling.dashboards import api as dashboards_api
from kobling.followup import api as followup_api
from kobling.grants import api as grants_api
from kobling.groups import api as groups_api
from kobling.helpers import api as helpers_api
from kobling.matching import api as matching_api
from kobling.national import api as national_api
from kobling.outcomes import api as outcomes_api
from kobling.partners import api as partners_api
from kobling.pay import api as pay_api
from kobling.pilots import api as pilots_api
from kobling.profiles import api as profiles_api
from kobling.providers import api as providers_api
from kobling.quality import api as quality_api
from kobling.referrals import api as referrals_api
from kobling.rehab import api as rehab_api
from kobling.research import api as research_api
from kobling.support import api as support_api
from kobling.workplace import api as workplace_api

router = DefaultRouter(trailing_slash=True)
tenancy_api.register(router)
helpers_api.register(router)
courses_api.register(router)
referrals_api.register(router)
matching_api.register(router)
followup_api.register(router)
groups_api.register(router)
providers_api.register(router)
grants_api.register(router)
rehab_api.register(router)
support_api.register(router)
workplace_api.register(router)
catalogue_api.register(router)
outcomes_api.register(router)
pay_api.register(router)
dashboards_api.register(router)
pilots_api.register(router)
national_api.register(router)
profiles_api.register(router)
quality_api.register(router)
research_api.register(router)
partners_api.register(router)
outbox_api.register(router)
access_review_api.register(router)

urlpatterns = [
    path("auth/token", auth.ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    *tenancy_api.extra_urls,
    *helpers_api.extra_urls,
    *courses_api.extra_urls,
    *referrals_api.extra_urls,
    *matching_api.extra_urls,
    *outcomes_api.extra_urls,
    *providers_api.extra_urls,
    *grants_api.extra_urls,
    *rehab_api.extra_urls,
    *support_api.extra_urls,
    *workplace_api.extra_urls,
    *catalogue_api.extra_urls,
    *pay_api.extra_urls,
    *dashboards_api.extra_urls,
    *national_api.extra_urls,
    *pilots_api.extra_urls,
    *profiles_api.extra_urls,
    *quality_api.extra_urls,
    *research_api.extra_urls,
    *partners_api.extra_urls,
    *followup_api.extra_urls,
    path("", include(router.urls)),
]
