from django.urls import path

from liaison.casework import api

urlpatterns = [
    path("changes/", api.ChangeListCreate.as_view(), name="api-changes"),
    path("changes/<int:pk>/", api.ChangeDetail.as_view(), name="api-change"),
]
