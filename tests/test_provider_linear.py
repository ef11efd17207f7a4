"""Linear provider against the fake GraphQL API (credreach/fakes/linear.py)."""

from __future__ import annotations

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.linear import FakeLinear, LinearUser
from providers.guard import graphql_operation_types
from providers.linear import PROVIDER
from scanner.model import Action, VerificationStatus
from tests.helpers import context_for, make_credential

ADMIN_KEY = "lin_api_" + "A1b2" * 10
MEMBER_KEY = "lin_api_" + "M3n4" * 10
REVOKED_KEY = "lin_api_" + "R5s6" * 10
KEYS = {ADMIN_KEY: LinearUser("Ada Admin", "ada@acme.test", True),
        MEMBER_KEY: LinearUser("Max Member", "max@acme.test", False)}


def test_admin_key() -> None:
    with FakeLinear(KEYS, org=("Acme Production", "acme-prod")) as fake:
        result = PROVIDER.introspect(make_credential("linear", "linear_api_key", ADMIN_KEY), context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        blast = result.blast_radius
        assert blast.identity == "ada@acme.test"
        admin = [c for c in blast.capabilities if c.action is Action.ADMIN]
        assert admin and admin[0].certain and admin[0].resources[0].name == "acme-prod"
        assert {r.name for r in blast.resources} == {"acme-prod", "ENG", "OPS"}
        request = fake.requests[0]
        assert request.header("Authorization") == ADMIN_KEY  # no Bearer for personal keys
        assert graphql_operation_types(request.json()["query"]) == ["query"]
        assert_read_only(fake.requests)


def test_member_key_write_and_delete_are_possible_not_certain() -> None:
    with FakeLinear(KEYS) as fake:
        result = PROVIDER.introspect(make_credential("linear", "linear_api_key", MEMBER_KEY), context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        by_action = {c.action: c for c in result.blast_radius.capabilities}
        assert Action.ADMIN not in by_action
        assert by_action[Action.DELETE].certain is False
        assert by_action[Action.READ].certain is True
        assert result.blast_radius.unknowns
        assert_read_only(fake.requests)


def test_revoked_key_is_invalid() -> None:
    with FakeLinear(KEYS) as fake:
        result = PROVIDER.introspect(make_credential("linear", "linear_api_key", REVOKED_KEY),
                                     context_for(fake.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert "Authentication required" in result.verification.reason
        assert REVOKED_KEY not in repr(result)
        assert_read_only(fake.requests)


@pytest.mark.parametrize("code", [429, 503])
def test_rate_limit_and_errors_are_unverifiable(code: int) -> None:
    with FakeLinear(KEYS, fail_status=code) as fake:
        result = PROVIDER.introspect(make_credential("linear", "linear_api_key", ADMIN_KEY), context_for(fake.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert str(code) in result.verification.reason
        assert len(fake.requests) == 2
        assert_read_only(fake.requests)
