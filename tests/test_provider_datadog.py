"""Datadog provider against the fake site API (credreach/fakes/datadog.py)."""

from __future__ import annotations

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.datadog import DatadogUser, FakeDatadog
from providers.base import ProviderContext, ReadOnlyHttp
from providers.datadog import PROVIDER, site_url
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

API_KEY = "0123456789abcdef0123456789abcdef"
ADMIN_APP = "a" * 36 + "ad01"
SCOPED_APP = "b" * 36 + "sc01"
READER_APP = "c" * 36 + "rd01"
USERS = [DatadogUser("admin@acme.test", ["Datadog Admin Role"], {ADMIN_APP: None}),
         DatadogUser("ci@acme.test", ["Datadog Standard Role"], {SCOPED_APP: ["dashboards_read", "monitors_write"]}),
         DatadogUser("viewer@acme.test", ["Datadog Read Only Role"], {READER_APP: None})]


def fake(**kwargs: object) -> FakeDatadog:
    return FakeDatadog({API_KEY}, USERS, **kwargs)  # type: ignore[arg-type]


def test_api_key_alone_is_live_and_can_submit() -> None:
    with fake() as server:
        result = PROVIDER.introspect(make_credential("datadog", "datadog_api_key", API_KEY), context_for(server.url))
        assert result.verification.status is VerificationStatus.LIVE
        ops = {(c.action, c.operation) for c in result.blast_radius.capabilities}
        assert ops == {(Action.WRITE, "submit metrics/logs/events")}
        assert [r.path for r in server.requests] == ["/api/v1/validate"]
        assert server.requests[0].header("DD-API-KEY") == API_KEY
        assert_read_only(server.requests)


def test_unscoped_admin_app_key() -> None:
    with fake() as server:
        cred = make_credential("datadog", "datadog_api_key", API_KEY, {"app_key": ADMIN_APP})
        result = PROVIDER.introspect(cred, context_for(server.url))
        assert result.verification.status is VerificationStatus.LIVE
        blast = result.blast_radius
        assert blast.identity == "admin@acme.test"
        actions = {c.action for c in blast.capabilities}
        assert {Action.ADMIN, Action.DELETE} <= actions
        assert blast.resources[0].name == "Acme Production"
        assert blast.resources[0].env_class is EnvClass.PRODUCTION
        assert any("unscoped" in n for n in blast.notes)
        assert_read_only(server.requests)


def test_scoped_app_key_uses_its_scopes() -> None:
    with fake() as server:
        cred = make_credential("datadog", "datadog_app_key", SCOPED_APP, {"api_key": API_KEY})
        result = PROVIDER.introspect(cred, context_for(server.url))
        assert result.verification.status is VerificationStatus.LIVE
        caps = {c.operation: c.action for c in result.blast_radius.capabilities}
        assert caps["monitors_write"] is Action.DELETE and caps["dashboards_read"] is Action.READ
        assert result.blast_radius.scopes == ("dashboards_read", "monitors_write")
        assert_read_only(server.requests)


def test_read_only_user_cannot_list_keys() -> None:
    with fake() as server:
        cred = make_credential("datadog", "datadog_api_key", API_KEY, {"app_key": READER_APP})
        result = PROVIDER.introspect(cred, context_for(server.url))
        assert result.verification.status is VerificationStatus.LIVE
        assert not any(c.action in (Action.DELETE, Action.ADMIN) for c in result.blast_radius.capabilities)
        assert any("scopes could not be read" in u for u in result.blast_radius.unknowns)
        assert_read_only(server.requests)


def test_revoked_api_key_is_invalid() -> None:
    with fake() as server:
        cred = make_credential("datadog", "datadog_api_key", "f" * 32)
        result = PROVIDER.introspect(cred, context_for(server.url))
        assert result.verification.status is VerificationStatus.INVALID
        assert "f" * 32 not in repr(result)
        assert_read_only(server.requests)


def test_app_key_without_api_key_is_not_sent() -> None:
    with fake() as server:
        result = PROVIDER.introspect(make_credential("datadog", "datadog_app_key", ADMIN_APP),
                                     context_for(server.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert server.requests == []


@pytest.mark.parametrize("code", [429, 500])
def test_rate_limit_and_errors_are_unverifiable(code: int) -> None:
    with fake(fail_status=code) as server:
        result = PROVIDER.introspect(make_credential("datadog", "datadog_api_key", API_KEY),
                                     context_for(server.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert str(code) in result.verification.reason
        assert len(server.requests) == 2
        assert_read_only(server.requests)


def test_site_hint_limits_hosts() -> None:
    assert site_url("datadoghq.eu") == "https://api.datadoghq.eu"
    assert site_url("us5.datadoghq.com") == "https://api.us5.datadoghq.com"
    assert site_url("evil.example.com") is None
    # Without an override the client refuses any host that is not Datadog's own.
    ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url), endpoint_overridden=False,
                          other_default_urls=PROVIDER.other_default_urls)
    assert ctx.http_for("https://api.datadoghq.eu").base_url == "https://api.datadoghq.eu"
