"""API fixtures: bearer tokens for people in each role, and a client that sends them."""

from __future__ import annotations

import pytest
from django.test import Client

from liaison.partners.models import ApiToken


@pytest.fixture
def token_for():
    """Issue a token for a user; returns the `Authorization` header for the Django test client."""
    def issue(user) -> dict:
        _, token = ApiToken.issue(user=user, name=f"{user.username}'s system")
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return issue


@pytest.fixture
def la_api(la_officer, token_for) -> Client:
    """A client authenticated as Leeds' system (bearer token, no session)."""
    return Client(headers={"Authorization": token_for(la_officer)["HTTP_AUTHORIZATION"]})


@pytest.fixture
def other_la_api(other_la_officer, token_for) -> Client:
    return Client(headers={"Authorization": token_for(other_la_officer)["HTTP_AUTHORIZATION"]})


@pytest.fixture
def porth_api(porth_officer, token_for) -> Client:
    return Client(headers={"Authorization": token_for(porth_officer)["HTTP_AUTHORIZATION"]})
