"""Token authentication for LA systems: `Authorization: Bearer lia_…`."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from liaison.partners.models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            token = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        api_token = (ApiToken.objects.select_related("user", "user__organisation")
                     .filter(digest=ApiToken.hash(token), revoked_at__isnull=True).first())
        if api_token is None or not api_token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is not valid, or has been revoked.")
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        return api_token.user, api_token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "liaison.partners.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token issued to your LA's system."}
