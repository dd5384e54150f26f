from django.contrib.auth import views as auth_views
from django.urls import path

from liaison.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.LoginView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("files/", views.import_list, name="import_list"),
    path("files/new/", views.import_new, name="import_new"),
    path("files/template.csv", views.import_template, name="import_template"),
    path("files/<int:pk>/", views.import_detail, name="import_detail"),
    path("files/<int:pk>/progress.json", views.import_progress, name="import_progress"),
    path("files/<int:pk>/carry-on/", views.import_carry_on, name="import_carry_on"),
    path("files/<int:pk>/results.csv", views.import_results_csv, name="import_results_csv"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/<int:pk>/", views.notice_view, name="notice_view"),
    path("notices/<int:pk>/pdf/", views.notice_download, name="notice_download"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:pk>/assign/", views.queue_assign, name="queue_assign"),
    path("queue/<int:pk>/decide/", views.queue_decide, name="queue_decide"),
]
