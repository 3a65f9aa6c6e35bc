from django.urls import path

from kobling.providers import contract_views, manage_views, views

urlpatterns = [
    path("tilbydere/", views.provider_list, name="provider_list"),
    path("tilbydere/ny/", views.provider_create, name="provider_create"),
    path("tilbydere/<int:pk>/", views.provider_detail, name="provider_detail"),
    path("tilbydere/<int:pk>/endre/", views.provider_edit, name="provider_edit"),
    path("tilbydere/<int:pk>/steder/ny/", views.site_create, name="provider_site_create"),
    path("tilbydere/steder/<int:pk>/", views.site_edit, name="provider_site_edit"),
    path(
        "tilbydere/<int:pk>/instruktorer/ny/", views.trainer_create, name="provider_trainer_create"
    ),
    path(
        "tilbydere/instruktorer/<int:pk>/sertifikat/",
        views.certificate_add,
        name="provider_certificate_add",
    ),
    path("tilbydere/<int:pk>/nokler/", views.token_create, name="provider_token_create"),
    path("tilbydere/nokler/<int:pk>/trekk/", views.token_revoke, name="provider_token_revoke"),
    path("forlop/<int:pk>/plassering/", views.placement_create, name="provider_placement_create"),
    path(
        "plasseringer/<int:pk>/trekk/",
        views.placement_withdraw,
        name="provider_placement_withdraw",
    ),
    path("tilbyder/", views.portal, name="provider_portal"),
    path("tilbyder/plasseringer/<int:pk>/", views.placement_detail, name="provider_placement"),
    path(
        "tilbyder/plasseringer/<int:pk>/svar/",
        views.placement_answer,
        name="provider_placement_answer",
    ),
    path("tilbyder/<int:pk>/besok/fil/", views.visit_import, name="provider_visit_import"),
    path("tilbyder/i-dag/", views.trainer_phone, name="provider_phone"),
    path(
        "bekreft-besok/<str:token>/",
        views.visit_confirmation,
        name="provider_visit_confirmation",
    ),
    path("tilbydere/besok/<int:pk>/vurder/", views.visit_resolve, name="provider_visit_resolve"),
    # The managers' pages: placement settings and rules, staff, contract terms.
    path("tilbydere/program/", manage_views.programme_list, name="provider_programme_list"),
    path("tilbydere/program/<int:pk>/", manage_views.programme_detail, name="provider_programme"),
    path(
        "tilbydere/program/<int:pk>/innstillinger/",
        manage_views.settings_edit,
        name="provider_settings_edit",
    ),
    path(
        "tilbydere/program/<int:pk>/regler/ny/",
        manage_views.rule_create,
        name="provider_rule_create",
    ),
    path(
        "tilbydere/program/<int:pk>/regler/plasser/",
        manage_views.rules_run,
        name="provider_rules_run",
    ),
    path("tilbydere/regler/<int:pk>/", manage_views.rule_edit, name="provider_rule_edit"),
    path("tilbydere/<int:pk>/ansatte/", manage_views.staff_list, name="provider_staff"),
    path(
        "tilbydere/ansatte/<int:pk>/fjern/",
        manage_views.staff_remove,
        name="provider_staff_remove",
    ),
    path(
        "tilbydere/<int:pk>/kontrakter/ny/",
        manage_views.terms_create,
        name="contract_terms_create",
    ),
    path(
        "tilbydere/kontrakter/<int:pk>/vilkar/",
        manage_views.terms_edit,
        name="contract_terms_edit",
    ),
    path(
        "tilbydere/kontrakter/<int:pk>/krav/ny/",
        manage_views.requirement_add,
        name="contract_requirement_add",
    ),
    path(
        "tilbydere/kontrakter/krav/<int:pk>/fjern/",
        manage_views.requirement_remove,
        name="contract_requirement_remove",
    ),
    # Concession contracts and reimbursement claims.
    path("tilbydere/kontrakter/<int:pk>/", contract_views.contract_detail, name="contract_detail"),
    path("tilbydere/kontrakter/<int:pk>/pdf/", contract_views.contract_pdf, name="contract_pdf"),
    path("tilbydere/kontrakter/<int:pk>/refusjon/", contract_views.claim_build, name="claim_build"),
    path("refusjonskrav/", contract_views.claim_list, name="claim_list"),
    path("refusjonskrav/utbetaling.csv", contract_views.payment_file, name="claim_payment_file"),
    path("refusjonskrav/<int:pk>/", contract_views.claim_detail, name="claim_detail"),
    path("refusjonskrav/<int:pk>/pdf/", contract_views.claim_pdf, name="claim_pdf"),
    path("refusjonskrav/<int:pk>/send-inn/", contract_views.claim_submit, name="claim_submit"),
    path(
        "refusjonskrav/<int:pk>/linjer/<int:line>/",
        contract_views.claim_line_decide,
        name="claim_line_decide",
    ),
    path("refusjonskrav/<int:pk>/godkjenn/", contract_views.claim_approve, name="claim_approve"),
]
