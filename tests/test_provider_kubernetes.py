"""Kubernetes provider against the fake API server (credreach/fakes/kubernetes.py)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from credreach.fakes._server import assert_read_only
from credreach.fakes.kubernetes import CLUSTER_ADMIN_RULES, FakeKubernetes, KubeUser, Pki, make_pki
from providers.base import HttpSettings, ProviderContext, ReadOnlyHttp
from providers.kubernetes import EMBEDDED_HOST_REASON, PROVIDER
from scanner.model import Action, EnvClass, VerificationStatus
from tests.helpers import context_for, make_credential

ADMIN_TOKEN = "eyJhbGciOiJSUzI1NiJ9.admin-token-for-tests.c2lnbmF0dXJl"
DEPLOYER_TOKEN = "eyJhbGciOiJSUzI1NiJ9.deployer-token-for-tests.c2lnbmF0dXJl"
VIEWER_TOKEN = "eyJhbGciOiJSUzI1NiJ9.viewer-token-for-tests.c2lnbmF0dXJl"
REVOKED_TOKEN = "eyJhbGciOiJSUzI1NiJ9.revoked-token-for-tests.c2lnbmF0dXJl"

USERS = {
    ADMIN_TOKEN: KubeUser("kubernetes-admin", ["system:masters", "system:authenticated"],
                          cluster_rules=CLUSTER_ADMIN_RULES),
    DEPLOYER_TOKEN: KubeUser("system:serviceaccount:ci:deployer", ["system:serviceaccounts"], namespace_rules={
        "payments-prod": [{"verbs": ["get", "list", "create", "update", "patch", "delete"],
                           "apiGroups": ["apps"], "resources": ["deployments", "statefulsets"]},
                          {"verbs": ["delete", "get"], "apiGroups": [""],
                           "resources": ["persistentvolumeclaims", "secrets"]}],
        "default": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}],
    }, cluster_rules=[{"verbs": ["list"], "apiGroups": [""], "resources": ["namespaces"]}]),
    VIEWER_TOKEN: KubeUser("jane@example.com", namespace_rules={
        "default": [{"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods", "services"]}]}),
}


def token_credential(token: str, **companions: str):  # type: ignore[no-untyped-def]
    return make_credential("kubernetes", "kubernetes_token", token,
                           {"server": "https://prod-cluster.example.com:6443", "context": "prod-eks", **companions},
                           path="home/.kube/config")


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    with FakeKubernetes(USERS) as server:
        yield server  # type: ignore[misc]


def by_op(result, action):  # type: ignore[no-untyped-def]
    return {c.operation: c for c in result.blast_radius.capabilities if c.action is action}


def test_cluster_admin_token(fake: FakeKubernetes) -> None:
    result = PROVIDER.introspect(token_credential(ADMIN_TOKEN), context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    blast = result.blast_radius
    assert blast.identity == "kubernetes-admin"
    assert "group system:masters" in blast.scopes
    admin = by_op(result, Action.ADMIN)["* on * (cluster-admin)"]
    assert admin.resources[0].kind == "kubernetes cluster"
    assert admin.resources[0].env_class is EnvClass.PRODUCTION  # context `prod-eks`
    assert any("cluster-admin" in note for note in blast.notes)
    paths = [(r.method, r.path) for r in fake.requests]
    assert ("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews") in paths
    reviewed = [r.json()["spec"]["namespace"] for r in fake.requests if r.path.endswith("selfsubjectrulesreviews")]
    assert reviewed[:2] == ["default", "kube-system"]
    assert {"payments-prod", "web-staging"} <= set(reviewed) and "dev" not in reviewed
    assert all(r.bearer == ADMIN_TOKEN for r in fake.requests)
    assert not any("secrets" in r.path for r in fake.requests)
    assert_read_only(fake.requests)


def test_namespace_scoped_deployer(fake: FakeKubernetes) -> None:
    result = PROVIDER.introspect(token_credential(DEPLOYER_TOKEN), context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    delete = by_op(result, Action.DELETE)
    assert set(delete) == {"delete apps/deployments", "delete apps/statefulsets", "delete persistentvolumeclaims",
                           "delete secrets"}
    pvc = delete["delete persistentvolumeclaims"].resources
    assert [(r.name, r.env_class) for r in pvc] == [("payments-prod", EnvClass.PRODUCTION)]
    assert "read secrets" in by_op(result, Action.READ)
    assert not by_op(result, Action.ADMIN)
    assert "can delete persistentvolumeclaims in `payments-prod`" in result.blast_radius.notes
    assert "can read Secrets (their values were not read)" in result.blast_radius.notes
    assert not any("secrets" in r.path for r in fake.requests)
    assert_read_only(fake.requests)


def test_viewer_without_namespace_list(fake: FakeKubernetes) -> None:
    result = PROVIDER.introspect(token_credential(VIEWER_TOKEN), context_for(fake.url))
    assert result.verification.status is VerificationStatus.LIVE
    assert not by_op(result, Action.DELETE) and not by_op(result, Action.WRITE)
    assert set(by_op(result, Action.READ)) == {"read pods", "read services"}
    reviewed = [r.json()["spec"]["namespace"] for r in fake.requests if r.path.endswith("selfsubjectrulesreviews")]
    assert reviewed == ["default", "kube-system"]
    assert_read_only(fake.requests)


def test_revoked_token_is_invalid(fake: FakeKubernetes) -> None:
    result = PROVIDER.introspect(token_credential(REVOKED_TOKEN), context_for(fake.url))
    assert result.verification.status is VerificationStatus.INVALID
    assert "401" in result.verification.reason
    assert REVOKED_TOKEN not in repr(result)
    assert len(fake.requests) == 1
    assert_read_only(fake.requests)


def test_old_cluster_without_v1_self_review() -> None:
    with FakeKubernetes(USERS, self_review_v1=False) as fake:
        result = PROVIDER.introspect(token_credential(VIEWER_TOKEN), context_for(fake.url))
        assert result.verification.status is VerificationStatus.LIVE
        assert result.blast_radius.identity == "jane@example.com"
        assert any(r.path.endswith("/v1beta1/selfsubjectreviews") for r in fake.requests)
        assert_read_only(fake.requests)


@pytest.mark.parametrize("code", [429, 500, 503])
def test_rate_limit_and_server_errors_are_unverifiable(code: int) -> None:
    with FakeKubernetes(USERS, fail_status=code) as fake:
        result = PROVIDER.introspect(token_credential(ADMIN_TOKEN), context_for(fake.url))
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert str(code) in result.verification.reason
        assert len(fake.requests) == 2  # one retry, then give up
        assert_read_only(fake.requests)


def test_embedded_server_needs_permission(fake: FakeKubernetes) -> None:
    credential = token_credential(ADMIN_TOKEN, server=fake.url)
    ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url), endpoint_overridden=False)
    result = PROVIDER.introspect(credential, ctx)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert result.verification.reason == EMBEDDED_HOST_REASON
    assert fake.requests == []
    assert result.blast_radius.resources[0].env_class is EnvClass.PRODUCTION

    allowed = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url, HttpSettings(timeout=5)),
                              endpoint_overridden=False, allow_embedded_hosts=True)
    result = PROVIDER.introspect(credential, allowed)
    assert result.verification.status is VerificationStatus.LIVE
    assert result.verification.endpoint == fake.url
    assert_read_only(fake.requests)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(str(tmp_path), "ops-admin", ["system:masters"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_client_certificate_over_tls_with_kubeconfig_ca(pki: Pki) -> None:
    users = {"ops-admin": KubeUser("ops-admin", ["system:masters"], cluster_rules=CLUSTER_ADMIN_RULES)}
    with FakeKubernetes(cert_users=users, tls=pki.server) as fake:
        credential = make_credential(
            "kubernetes", "kubernetes_client_key", _b64(pki.client_key_pem),
            {"server": fake.url, "context": "staging", "client-certificate-data": _b64(pki.client_cert_pem),
             "certificate-authority-data": _b64(pki.ca_pem)})
        ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url, HttpSettings(timeout=5)),
                              endpoint_overridden=False, allow_embedded_hosts=True)
        result = PROVIDER.introspect(credential, ctx)
        assert result.verification.status is VerificationStatus.LIVE, result.verification.reason
        assert result.blast_radius.identity == "ops-admin"
        admin = by_op(result, Action.ADMIN)["* on * (cluster-admin)"]
        assert admin.resources[0].env_class is EnvClass.STAGING
        assert all(r.bearer is None for r in fake.requests)
        assert_read_only(fake.requests)


def test_client_certificate_from_another_ca_is_not_live(pki: Pki) -> None:
    users = {"ops-admin": KubeUser("ops-admin", cluster_rules=CLUSTER_ADMIN_RULES)}
    with FakeKubernetes(cert_users=users, tls=pki.server) as fake:
        credential = make_credential(
            "kubernetes", "kubernetes_client_key", pki.rogue_key_pem.decode(),
            {"server": fake.url, "client-certificate-data": _b64(pki.rogue_cert_pem),
             "certificate-authority-data": _b64(pki.ca_pem)})
        ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url, HttpSettings(timeout=5)),
                              endpoint_overridden=False, allow_embedded_hosts=True)
        result = PROVIDER.introspect(credential, ctx)
        assert result.verification.status is not VerificationStatus.LIVE
        assert_read_only(fake.requests)


def test_untrusted_server_certificate_is_refused(pki: Pki) -> None:
    """Without the kubeconfig's CA the fake's certificate does not verify: no token is sent."""
    with FakeKubernetes(USERS, tls=pki.server) as fake:
        credential = token_credential(ADMIN_TOKEN, server=fake.url)
        ctx = ProviderContext(http=ReadOnlyHttp(PROVIDER.default_base_url, HttpSettings(timeout=5)),
                              endpoint_overridden=False, allow_embedded_hosts=True)
        result = PROVIDER.introspect(credential, ctx)
        assert result.verification.status is VerificationStatus.UNVERIFIABLE
        assert fake.requests == []


def test_client_key_without_certificate_is_unverifiable(fake: FakeKubernetes, pki: Pki) -> None:
    credential = make_credential("kubernetes", "kubernetes_client_key", pki.client_key_pem.decode(),
                                 {"server": fake.url})
    result = PROVIDER.introspect(credential, context_for(fake.url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "certificate" in result.verification.reason
    assert fake.requests == []
