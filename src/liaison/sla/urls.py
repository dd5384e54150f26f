from django.urls import path

from liaison.sla import views

app_name = "sla"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("performance.csv", views.dashboard_csv, name="dashboard_csv"),
    path("performance.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("items/", views.items, name="items"),
    path("items.csv", views.items_csv, name="items_csv"),
    path("items/<str:code>/<int:start_event_id>/reason/", views.breach_reason, name="breach_reason"),
    path("queue/", views.queue, name="queue"),
    path("quality/", views.quality, name="quality"),
    path("statement/", views.statement, name="statement"),
    path("statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("targets/", views.targets, name="targets"),
    path("targets/new/", views.target_new, name="target_new"),
    path("targets/<int:pk>/end/", views.target_end, name="target_end"),
    path("standards/", views.standards, name="standards"),
]
