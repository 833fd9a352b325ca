"""ERP client lifecycle: create (credentials shown once), revoke, rotate the signing key."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

from core.exceptions import ApplicationError
from erp_sync.models import ErpClient
from orgunits.models import Company

#: Standard Webhooks secrets are "whsec_" + base64 of the key; 32 bytes ≥ the 24 asked.
SIGNING_SECRET_PREFIX = "whsec_"  # noqa: S105 -- a format marker, not a secret
SIGNING_SECRET_BYTES = 32


@dataclass(frozen=True)
class ErpClientCredentials:
    """What the operator must copy now: Signoff keeps only a hash of `client_secret`."""

    client: ErpClient
    client_id: str
    client_secret: str
    signing_secret: str


def signing_secret_generate() -> str:
    return SIGNING_SECRET_PREFIX + base64.b64encode(
        secrets.token_bytes(SIGNING_SECRET_BYTES)
    ).decode("ascii")


def signing_key_bytes(secret: str) -> bytes:
    """The HMAC key inside a "whsec_…" secret (Standard Webhooks)."""
    return base64.b64decode(secret.removeprefix(SIGNING_SECRET_PREFIX))


@transaction.atomic
def erp_client_create(
    *, company: Company, name: str, callback_url: str
) -> ErpClientCredentials:
    """Create an OAuth2 client-credentials application bound to `company`.

    Returns the raw client secret and signing secret; they are not retrievable later
    (DOT hashes the client secret on save). Raises ValidationError for a bad name or
    callback URL, ApplicationError (erp_client_company_inactive) for an inactive company.
    """
    if not company.is_active:
        raise ApplicationError(
            f"{company.name} is inactive; it cannot get an ERP client.",
            extra={"code": "erp_client_company_inactive"},
        )
    raw_secret = generate_client_secret()
    application = Application(
        name=f"{company.code}: {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=raw_secret,
        hash_client_secret=True,
        user=None,
    )
    client = ErpClient(
        company=company,
        application=application,
        name=name,
        callback_url=callback_url,
        signing_secret=signing_secret_generate(),
    )
    # Validate the client before anything is saved, so a bad URL leaves no
    # orphaned application behind.
    client.full_clean(exclude=["application"])
    application.full_clean()
    application.save()
    client.application = application
    client.save()
    return ErpClientCredentials(
        client=client,
        client_id=application.client_id,
        client_secret=raw_secret,
        signing_secret=client.signing_secret,
    )


@transaction.atomic
def erp_client_revoke(*, client: ErpClient) -> ErpClient:
    """Refuse the client from now on: inactive, revoked_at set, its tokens deleted.

    Revoking twice keeps the first revocation time.
    """
    locked = ErpClient.objects.select_for_update().get(pk=client.pk)
    if locked.revoked_at is None:
        locked.is_active = False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["is_active", "revoked_at", "updated_at"])
    # Deleting the tokens (not only flagging the client) means no code path that
    # forgets to check the client can still accept them.
    RefreshToken.objects.filter(application_id=locked.application_id).delete()
    AccessToken.objects.filter(application_id=locked.application_id).delete()
    return locked


@transaction.atomic
def erp_client_rotate_secret(*, client: ErpClient) -> ErpClient:
    """Give the client a new signing secret; the old one signs beside it for a while.

    The new secret is on the returned client (`signing_secret`) and must be shown to
    the operator once. Raises ApplicationError (erp_client_revoked) for a revoked client.
    """
    locked = ErpClient.objects.select_for_update().get(pk=client.pk)
    if locked.revoked_at is not None:
        raise ApplicationError(
            f"The ERP client “{locked.name}” is revoked; create a new one instead.",
            extra={"code": "erp_client_revoked"},
        )
    locked.previous_signing_secret = locked.signing_secret
    locked.signing_secret = signing_secret_generate()
    locked.rotated_at = timezone.now()
    locked.save(
        update_fields=[
            "previous_signing_secret",
            "signing_secret",
            "rotated_at",
            "updated_at",
        ]
    )
    return locked


@transaction.atomic
def erp_client_callback_enable(*, client: ErpClient) -> ErpClient:
    """Send events to the client's callback again after it answered 410 Gone.

    Events that died meanwhile stay dead until an administrator redelivers them.
    """
    locked = ErpClient.objects.select_for_update().get(pk=client.pk)
    if locked.callback_disabled_at is not None:
        locked.callback_disabled_at = None
        locked.callback_disabled_reason = ""
        locked.save(
            update_fields=[
                "callback_disabled_at",
                "callback_disabled_reason",
                "updated_at",
            ]
        )
    return locked
