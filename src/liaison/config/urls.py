from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Liaison administration"
admin.site.site_title = "Liaison"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("liaison.referrals.api_urls")),
    path("debts/", include("liaison.recovery.urls")),
    path("casework/", include("liaison.casework.urls")),
    path("remittances/", include("liaison.remittance.urls")),
    path("sla/", include("liaison.sla.urls")),
    path("", include("liaison.governance.urls")),
    path("", include("liaison.web.urls")),
]
