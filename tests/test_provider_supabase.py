"""Supabase provider: Management API PATs against the fake, project keys decoded offline."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.supabase import SupabaseFake
from providers.supabase import PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

PAT = "sbp_" + "a1" * 20
REVOKED = "sbp_" + "b2" * 20


def _jwt(claims: dict[str, object]) -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def fake() -> Iterator[SupabaseFake]:
    with SupabaseFake(tokens={PAT}) as server:
        yield server  # type: ignore[misc]


def _run(fake: SupabaseFake, kind: str, secret: str, companions: dict[str, str] | None = None):
    return PROVIDER.introspect(make_credential("supabase", kind, secret, companions), context_for(fake.url))


def test_pat_lists_projects_with_env_classes(fake: SupabaseFake) -> None:
    result = _run(fake, "supabase_access_token", PAT)
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    classes = {r.name: r.env_class for r in blast.resources}
    assert classes == {"shop-production": EnvClass.PRODUCTION, "shop-dev": EnvClass.DEVELOPMENT}
    assert all(r.parent == "organization Acme" for r in blast.resources)
    delete = next(c for c in blast.capabilities if c.action is Action.DELETE)
    assert not delete.certain and len(delete.resources) == 2
    assert blast.unknowns
    assert_read_only(fake.requests)


def test_service_role_jwt_decoded_offline_bypasses_rls(fake: SupabaseFake) -> None:
    token = _jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role",
                  "iat": 1700000000, "exp": int(time.time()) + 10**8})
    result = _run(fake, "supabase_service_role_jwt", token)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert result.verification.endpoint is None
    blast = result.blast_radius
    assert blast.scopes == ("service_role",)
    delete = next(c for c in blast.capabilities if c.action is Action.DELETE)
    assert delete.certain and delete.resources[0].name == "abcdefghijklmnopqrst"
    assert fake.requests == []  # no network call for a project key
    assert_read_only(fake.requests)


def test_anon_jwt_is_read_subject_to_rls(fake: SupabaseFake) -> None:
    token = _jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon"})
    blast = _run(fake, "supabase_service_role_jwt", token).blast_radius
    assert [c.action for c in blast.capabilities] == [Action.READ]
    assert_read_only(fake.requests)


def test_expired_jwt_is_invalid_offline(fake: SupabaseFake) -> None:
    token = _jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role", "exp": 1000})
    result = _run(fake, "supabase_service_role_jwt", token)
    assert result.verification.status is VerificationStatus.INVALID
    assert fake.requests == []


def test_secret_key_uses_project_url_companion(fake: SupabaseFake) -> None:
    result = _run(fake, "supabase_secret_key", "sb_secret_" + "x" * 30,
                  {"url": "https://qrstuvwxyzabcdefghij.supabase.co"})
    blast = result.blast_radius
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert {c.action for c in blast.capabilities} == {Action.READ, Action.DELETE}
    assert blast.resources[0].name == "qrstuvwxyzabcdefghij"
    assert fake.requests == []


def test_revoked_pat_is_invalid(fake: SupabaseFake) -> None:
    result = _run(fake, "supabase_access_token", REVOKED)
    assert result.verification.status is VerificationStatus.INVALID
    assert "Unauthorized" in result.verification.reason
    assert_read_only(fake.requests)


def test_rate_limit_retried_then_live(fake: SupabaseFake) -> None:
    fake.mode, fake.limited = "rate_limit", 1
    assert _run(fake, "supabase_access_token", PAT).verification.status is VerificationStatus.LIVE
    assert_read_only(fake.requests)


def test_rate_limit_persisting_is_unverifiable(fake: SupabaseFake) -> None:
    fake.mode, fake.retry_after = "rate_limit", "60"
    result = _run(fake, "supabase_access_token", PAT)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "429" in result.verification.reason
    assert_read_only(fake.requests)


def test_server_error_is_unverifiable(fake: SupabaseFake) -> None:
    fake.mode = "error"
    assert _run(fake, "supabase_access_token", PAT).verification.status is VerificationStatus.UNVERIFIABLE
    assert_read_only(fake.requests)
