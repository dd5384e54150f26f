from django.urls import path

from liaison.recovery import views

app_name = "recovery"
urlpatterns = [
    path("", views.debt_list, name="debt_list"),
    path("<int:pk>/", views.debt_detail, name="debt_detail"),
    path("<int:pk>/hardship/", views.hardship_new, name="hardship_new"),
    path("<int:pk>/suspend/", views.debt_suspend, name="debt_suspend"),
    path("<int:pk>/stop/", views.debt_stop_view, name="debt_stop"),
    path("hardship/<int:pk>/decide/", views.hardship_decide_view, name="hardship_decide"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("suspensions/", views.suspensions, name="suspensions"),
    path("suspensions/<int:pk>/resume/", views.suspension_resume, name="suspension_resume"),
]
