from django.urls import path

from liaison.casework import views

app_name = "casework"
urlpatterns = [
    path("", views.home, name="home"),
    path("changes/", views.change_list, name="change_list"),
    path("changes/new/", views.change_new, name="change_new"),
    path("changes/<int:pk>/", views.change_detail, name="change_detail"),
    path("changes/<int:pk>/action/", views.change_action_view, name="change_action"),
    path("changes/<int:pk>/outcome/", views.change_outcome_view, name="change_outcome"),
    path("changes/files/new/", views.change_file_new, name="file_new"),
    path("changes/files/template.csv", views.change_file_template, name="file_template"),
    path("changes/files/<int:pk>/", views.change_file_detail, name="file_detail"),
    path("changes/files/<int:pk>/progress.json", views.change_file_progress, name="file_progress"),
    path("changes/files/<int:pk>/carry-on/", views.change_file_carry_on, name="file_carry_on"),
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/forward/", views.complaint_forward_view, name="complaint_forward"),
    path("sequence-of-events/", views.soe_list, name="soe_list"),
    path("sequence-of-events/new/", views.soe_new, name="soe_new"),
    path("sequence-of-events/<int:pk>/", views.soe_detail, name="soe_detail"),
    path("sequence-of-events/<int:pk>/supply/", views.soe_supply_view, name="soe_supply"),
    path("sequence-of-events/<int:pk>/pdf/", views.soe_download, name="soe_download"),
    path("queues/", views.queue_index, name="queue_index"),
    path("queues/<str:code>/", views.queue, name="queue"),
    path("work/<int:pk>/assign/", views.work_assign, name="work_assign"),
]
