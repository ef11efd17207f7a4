"""GCP service-account keys against the fake Google endpoints (credreach/fakes/gcp.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from credreach.fakes._server import FakeProvider, assert_read_only
from credreach.fakes.gcp import FakeGcp, ServiceAccount, new_rsa_key, pem_private, self_signed_pem
from providers.gcp import PERMISSIONS, PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

ROOT = Path(__file__).resolve().parent.parent
OWNER_EMAIL = "deployer@shop-prod.iam.gserviceaccount.com"
VIEWER_EMAIL = "reader@shop-dev.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {"owner": new_rsa_key(), "viewer": new_rsa_key(), "other": new_rsa_key()}


def accounts(keys: dict[str, Any], *, owner_published: bool = True) -> list[ServiceAccount]:
    return [
        ServiceAccount(OWNER_EMAIL, keys["owner"], "a" * 40, {"shop-prod": set(PERMISSIONS)},
                       published=owner_published),
        ServiceAccount(VIEWER_EMAIL, keys["viewer"], "b" * 40,
                       {"shop-dev": {"resourcemanager.projects.get", "storage.objects.list"}}),
    ]


def credential(key: Any, email: str, key_id: str, project: str, **extra: str):  # type: ignore[no-untyped-def]
    # As the detector captures it from the JSON file: with literal \n escapes.
    secret = pem_private(key).replace("\n", "\\n")
    return make_credential("gcp", "gcp_service_account_key", secret,
                           {"client_email": email, "project_id": project, "private_key_id": key_id,
                            "token_uri": "https://oauth2.googleapis.com/token", **extra},
                           path="deploy/sa.json")


def paths(fake: FakeProvider) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests]


def test_owner_key_can_delete_the_production_project(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        cred = credential(keys["owner"], OWNER_EMAIL, "a" * 40, "shop-prod")
        result = PROVIDER.introspect(cred, context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE, result.verification.reason
        blast = result.blast_radius
        assert blast.identity == OWNER_EMAIL
        delete = {c.operation: c for c in blast.capabilities if c.action is Action.DELETE}
        assert "resourcemanager.projects.delete" in delete and "cloudsql.instances.delete" in delete
        assert delete["resourcemanager.projects.delete"].resources[0].env_class is EnvClass.PRODUCTION
        admin = {c.operation for c in blast.capabilities if c.action is Action.ADMIN}
        assert {"resourcemanager.projects.setIamPolicy", "iam.serviceAccountKeys.create"} <= admin
        assert any(c.action is Action.BILLING for c in blast.capabilities)
        assert "can delete the whole project `shop-prod`" in blast.notes
        assert paths(fake) == [f"GET /robot/v1/metadata/x509/{OWNER_EMAIL}", "POST /token",
                               "POST /v1/projects/shop-prod:testIamPermissions"]
        sent = fake.requests[2].json()["permissions"]
        assert "resourcemanager.projects.delete" in sent and len(sent) <= 100
        assert fake.requests[1].form()["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        assert "PRIVATE KEY" not in repr(result)
        assert_read_only(fake.requests)


def test_viewer_key_reads_only(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        result = PROVIDER.introspect(credential(keys["viewer"], VIEWER_EMAIL, "b" * 40, "shop-dev"),
                                     context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        actions = {c.action for c in result.blast_radius.capabilities}
        assert actions == {Action.READ}
        assert result.blast_radius.resources[0].env_class is EnvClass.DEVELOPMENT
        assert_read_only(fake.requests)


def test_token_uri_from_the_file_is_never_used(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        cred = credential(keys["viewer"], VIEWER_EMAIL, "b" * 40, "shop-dev",
                          token_uri="https://collector.example.net/token")
        result = PROVIDER.introspect(cred, context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        assert any("collector.example.net" in n and "ignored" in n for n in result.blast_radius.notes)
        assert "POST /token" in paths(fake)
        assert_read_only(fake.requests)


def test_deleted_key_is_invalid_without_signing_in(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys, owner_published=False)) as fake:
        result = PROVIDER.introspect(credential(keys["owner"], OWNER_EMAIL, "a" * 40, "shop-prod"),
                                     context_for(fake.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert "not among the account's active keys" in result.verification.reason
        assert paths(fake) == [f"GET /robot/v1/metadata/x509/{OWNER_EMAIL}"]
        assert_read_only(fake.requests)


def test_published_certificate_of_another_key_is_invalid(keys: dict[str, Any]) -> None:
    overrides = {"c" * 40: self_signed_pem(keys["other"], OWNER_EMAIL)}
    with FakeGcp(accounts(keys), certificate_overrides=overrides) as fake:
        result = PROVIDER.introspect(credential(keys["owner"], OWNER_EMAIL, "c" * 40, "shop-prod"),
                                     context_for(fake.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert "does not match" in result.verification.reason
        assert_read_only(fake.requests)


def test_wrong_key_is_refused_by_the_token_endpoint(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        cred = make_credential("gcp", "gcp_service_account_key", pem_private(keys["other"]),
                               {"client_email": OWNER_EMAIL, "project_id": "shop-prod"})
        result = PROVIDER.introspect(cred, context_for(fake.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert "invalid_grant" in result.verification.reason
        assert_read_only(fake.requests)


def test_unknown_service_account_is_invalid(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        cred = credential(keys["other"], "gone@shop-prod.iam.gserviceaccount.com", "d" * 40, "shop-prod")
        result = PROVIDER.introspect(cred, context_for(fake.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert_read_only(fake.requests)


@pytest.mark.parametrize("code", [429, 500])
def test_token_endpoint_trouble_is_unverifiable(keys: dict[str, Any], code: int) -> None:
    with FakeGcp(accounts(keys), fail_token_status=code) as fake:
        result = PROVIDER.introspect(credential(keys["owner"], OWNER_EMAIL, "a" * 40, "shop-prod"),
                                     context_for(fake.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert str(code) in result.verification.reason
        assert result.blast_radius.identity == OWNER_EMAIL
        assert paths(fake).count("POST /token") == 2  # one retry
        assert_read_only(fake.requests)


def test_project_without_access_is_an_unknown(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        result = PROVIDER.introspect(credential(keys["viewer"], VIEWER_EMAIL, "b" * 40, "shop-prod"),
                                     context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        assert not result.blast_radius.capabilities
        assert any("PERMISSION_DENIED" in u for u in result.blast_radius.unknowns)
        assert_read_only(fake.requests)


def test_authorized_user_is_never_used(keys: dict[str, Any]) -> None:
    with FakeGcp(accounts(keys)) as fake:
        cred = make_credential("gcp", "gcp_authorized_user", "1//0refresh-token-value-for-tests",
                               {"client_id": "123.apps.googleusercontent.com"})
        result = PROVIDER.introspect(cred, context_for(fake.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert "refresh token" in result.verification.reason
        assert fake.requests == []


def test_without_cryptography_the_key_is_unverifiable(keys: dict[str, Any]) -> None:
    """Runs in a child interpreter where importing `cryptography` fails, as on a machine without it."""
    script = f"""
import sys
sys.modules["cryptography"] = None
from providers.gcp import PROVIDER
from tests.helpers import context_for, make_credential
cred = make_credential("gcp", "gcp_service_account_key", {json.dumps(pem_private(keys["viewer"]))},
                       {{"client_email": "{VIEWER_EMAIL}", "project_id": "shop-dev"}})
result = PROVIDER.introspect(cred, context_for("http://127.0.0.1:9"))
print(result.verification.status.value, "|", result.verification.reason)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("unverifiable |")
    assert "cryptography" in out.stdout
