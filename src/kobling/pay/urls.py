from django.urls import path

from kobling.pay import views

urlpatterns = [
    path("lonn/", views.pay_month, name="pay_month"),
    path("lonn/godkjenn/", views.pay_approve, name="pay_approve"),
    path("lonn/eksport.csv", views.pay_export, name="pay_export"),
    path("lonn/innstillinger/", views.pay_settings, name="pay_settings"),
    path("lonn/timelister/<int:pk>/", views.timesheet_detail, name="timesheet_detail"),
    path("lonn/timelister/<int:pk>/justering/", views.timesheet_adjust, name="timesheet_adjust"),
    path("lonn/timelister/<int:pk>/notat/", views.timesheet_note, name="timesheet_note"),
    path("lonn/timelister/<int:pk>/pdf/", views.timesheet_pdf_page, name="timesheet_pdf"),
    path("lonn/utgifter/", views.expense_list, name="expense_list"),
    path("lonn/utgifter/ny/", views.expense_create, name="expense_create"),
    path("lonn/utgifter/<int:pk>/", views.expense_detail, name="expense_detail"),
    path("lonn/utgifter/<int:pk>/endre/", views.expense_edit, name="expense_edit"),
    path("lonn/utgifter/<int:pk>/kvittering/", views.expense_receipt, name="expense_receipt"),
    path("lonn/utgifter/<int:pk>/godkjenn/", views.expense_approve, name="expense_approve"),
    path("lonn/utgifter/<int:pk>/korriger/", views.expense_correct, name="expense_correct"),
    path("mine-timer/", views.my_hours, name="my_hours"),
]
