from django.urls import path

from liaison.remittance import views

app_name = "remittance"
urlpatterns = [
    path("", views.remittance_list, name="list"),
    path("<int:pk>/", views.remittance_detail, name="detail"),
    path("<int:pk>/schedule.csv", views.remittance_csv, name="csv"),
    path("<int:pk>/schedule.xlsx", views.remittance_xlsx, name="xlsx"),
    path("<int:pk>/schedule.pdf", views.remittance_pdf, name="pdf"),
    path("<int:pk>/paid/", views.remittance_mark_paid_view, name="mark_paid"),
]
