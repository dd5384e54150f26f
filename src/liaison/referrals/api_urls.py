from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from liaison.casework.api_urls import urlpatterns as casework_patterns
from liaison.referrals import api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("referrals/", api.ReferralListCreate.as_view(), name="api-referrals"),
    path("referrals/validate/", api.ReferralValidate.as_view(), name="api-referral-validate"),
    path("referrals/<int:pk>/", api.ReferralDetail.as_view(), name="api-referral"),
    path("imports/", api.ImportCreate.as_view(), name="api-imports"),
    path("imports/<int:pk>/", api.ImportDetail.as_view(), name="api-import"),
    path("imports/<int:pk>/rows/", api.ImportRows.as_view(), name="api-import-rows"),
    path("imports/<int:pk>/carry-on/", api.ImportCarryOn.as_view(), name="api-import-carry-on"),
    path("notices/", api.NoticeList.as_view(), name="api-notices"),
    path("notices/<int:pk>/pdf/", api.NoticePdf.as_view(), name="api-notice-pdf"),
    *casework_patterns,  # /api/v1/changes/…: the API root lists every app's routes
]
