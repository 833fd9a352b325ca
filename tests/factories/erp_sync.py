"""Factories for the erp_sync models, and a bearer-token helper for API tests.

`ErpClientFactory` builds the OAuth application too; the raw client secret is kept on
the returned client as `raw_client_secret` (DOT stores only its hash), so token tests can
authenticate with it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from oauth2_provider.models import AccessToken, Application, set_token_value

from erp_sync.models import ErpClient
from erp_sync.services.clients import signing_secret_generate
from tests.factories.orgunits import CompanyFactory, CompanyScopedFactory


class ApplicationFactory(DjangoModelFactory[Application]):
    name = factory.Sequence(lambda n: f"ERP app {n}")
    client_type = Application.CLIENT_CONFIDENTIAL
    authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
    client_secret = factory.Sequence(lambda n: f"test-client-secret-{n:04d}-xxxxxxxx")
    hash_client_secret = True

    class Meta:
        model = Application

    @classmethod
    def _create(
        cls, model_class: type[Application], *args: Any, **kwargs: Any
    ) -> Application:
        raw = kwargs["client_secret"]
        application = super()._create(model_class, *args, **kwargs)
        application.raw_client_secret = raw
        return application


class ErpClientFactory(CompanyScopedFactory[ErpClient]):
    company = factory.SubFactory(CompanyFactory)
    application = factory.SubFactory(ApplicationFactory)
    name = factory.Sequence(lambda n: f"ERP {n}")
    callback_url = "https://erp.example.com/signoff/events"
    signing_secret = factory.LazyFunction(signing_secret_generate)

    class Meta:
        model = ErpClient

    @classmethod
    def _create(
        cls, model_class: type[ErpClient], *args: Any, **kwargs: Any
    ) -> ErpClient:
        client = super()._create(model_class, *args, **kwargs)
        client.raw_client_secret = client.application.raw_client_secret
        return client


def issue_token(
    client: ErpClient, *, raw: str | None = None, expires_in: timedelta | None = None
) -> str:
    """A bearer token for `client`, written as DOT writes it (hashed at rest)."""
    raw = (
        raw
        or f"test-token-{client.pk}-{AccessToken.objects.count()}-{timezone.now().timestamp()}"
    )
    token = AccessToken(
        application=client.application,
        expires=timezone.now() + (expires_in or timedelta(hours=1)),
        scope="read write",
    )
    set_token_value(token, raw)
    token.save()
    return raw
