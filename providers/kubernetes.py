"""Kubernetes: who a kubeconfig credential is and what RBAC lets it do, from review objects only.

Calls (Kubernetes API reference, authentication-resources/self-subject-review-v1 and
authorization-resources/self-subject-rules-review-v1; shared/reference/providers.md §24):

* ``POST /apis/authentication.k8s.io/v1/selfsubjectreviews`` → ``status.userInfo`` (identity);
  falls back to ``v1beta1`` on clusters older than 1.28;
* ``POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`` per namespace (the context's
  namespace or ``default``, ``kube-system``, and up to three production/staging-looking namespaces
  from ``GET /api/v1/namespaces``) → ``status.resourceRules``.

Review objects are computed and never persisted: they are the documented read-only POSTs
(``ReadOnlyPost.KUBERNETES_SELF_SUBJECT_REVIEW``). Secrets are never read; ``get``/``list`` on
``secrets`` is reported as a capability only.

The cluster server is a host found next to the secret, so nothing is sent unless the user passed
``--verify-embedded-hosts`` (then the kubeconfig's own server, with its CA) or
``--endpoint kubernetes=URL``. Client-certificate credentials need the certificate and key as files
for the TLS library: they are written to a private (0700) temporary directory for the duration of
the calls and removed afterwards.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from providers.base import (
    HttpSettings,
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    ReadOnlyHttp,
    Response,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused, ReadOnlyPost
from scanner.model import Action, BlastRadius, Capability, Credential, EnvClass, Resource
from scanner.redact import REDACTOR

SELF_SUBJECT_REVIEW_PATHS = ("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                             "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews")
RULES_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
NAMESPACES_PATH = "/api/v1/namespaces"
EMBEDDED_HOST_REASON = ("the cluster server comes from the scanned kubeconfig; pass --verify-embedded-hosts "
                        "or --endpoint kubernetes=URL")
MAX_EXTRA_NAMESPACES = 3
DESTRUCTIVE_VERBS = frozenset({"delete", "deletecollection", "*"})
WRITE_VERBS = frozenset({"create", "update", "patch", "*"})
READ_VERBS = frozenset({"get", "list", "watch", "*"})
ESCALATION_VERBS = frozenset({"escalate", "bind", "impersonate", "*"})
CLUSTER_SCOPED = frozenset({"namespaces", "nodes", "persistentvolumes", "clusterroles", "clusterrolebindings",
                            "customresourcedefinitions", "storageclasses", "validatingwebhookconfigurations",
                            "mutatingwebhookconfigurations"})
# Every authenticated user may create these reviews (system:basic-user); they are not capabilities.
NEUTRAL_RESOURCES = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"})
# Resources whose deletion destroys data or takes workloads down, reported by name.
IMPORTANT_RESOURCES = ("namespaces", "persistentvolumeclaims", "persistentvolumes", "statefulsets",
                       "deployments", "pods", "services", "secrets", "configmaps", "jobs", "cronjobs",
                       "daemonsets", "ingresses", "nodes")


def _companion(companions: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = companions.get(name)
        if value:
            return value
    return None


def _pem(value: str) -> bytes | None:
    """A PEM block given either as text or as kubeconfig ``*-data`` base64."""
    text = value.strip()
    if "-----BEGIN" in text:
        return text.encode()
    try:
        decoded = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return None
    return decoded if b"-----BEGIN" in decoded else None


@dataclass(frozen=True)
class Rule:
    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: tuple[str, ...]

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> Rule:
        def strings(key: str) -> list[str]:
            value = raw.get(key) or []
            return [str(v) for v in value] if isinstance(value, list) else []
        return Rule(frozenset(v.lower() for v in strings("verbs")), frozenset(strings("apiGroups")),
                    frozenset(strings("resources")), tuple(strings("resourceNames")))

    @property
    def is_cluster_admin(self) -> bool:
        return "*" in self.verbs and "*" in self.resources and ("*" in self.groups or not self.groups)


@dataclass(frozen=True)
class NamespaceRules:
    namespace: str
    rules: tuple[Rule, ...]
    incomplete: bool
    error: str | None


class _ClusterHttp(ReadOnlyHttp):
    """The read-only client, with the kubeconfig's CA and (for cert auth) client certificate."""

    def __init__(self, base_url: str, settings: HttpSettings, semaphore: threading.Semaphore | None,
                 *, ca_file: str | None, client_cert: tuple[str, str] | None, insecure: bool) -> None:
        super().__init__(base_url, settings, semaphore)
        if insecure:
            self._session.verify = False
        elif ca_file:
            self._session.verify = ca_file
        if client_cert:
            self._session.cert = client_cert


@contextlib.contextmanager
def _private_dir() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="credreach-kube-")
    os.chmod(directory, 0o700)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write_private(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


class KubernetesProvider(Provider):
    name = "kubernetes"
    display_name = "Kubernetes"
    kinds = frozenset({"kubernetes_token", "kubernetes_client_key"})
    default_base_url = "https://kubernetes.default.svc"
    reveals = ("user and groups (SelfSubjectReview), RBAC rules per namespace (SelfSubjectRulesReview): "
               "delete rights, cluster-admin, access to Secrets")
    docs = ("https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/self-subject-review-v1/",
            "https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/"
            "self-subject-rules-review-v1/")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        companions = credential.companions
        server = _companion(companions, "server", "cluster_server")
        context = _companion(companions, "context", "current_context") or ""
        cluster = _companion(companions, "cluster") or ""
        if ctx.endpoint_overridden:
            base_url = ctx.http.base_url
        elif not ctx.allow_embedded_hosts:
            return unverifiable(EMBEDDED_HOST_REASON, blast=self._offline(server, context, cluster))
        elif not server:
            return unverifiable("no cluster server next to the credential; pass --endpoint kubernetes=URL")
        else:
            base_url = server.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return unverifiable("cluster server is not an http(s) URL")
        with _private_dir() as directory:
            try:
                http = self._client(credential, ctx, base_url, directory)
            except ValueError as exc:
                return unverifiable(str(exc), base_url)
            headers = {"Content-Type": "application/json"}
            if credential.kind == "kubernetes_token":
                headers["Authorization"] = f"Bearer {credential.secret.strip()}"
            try:
                return self._introspect(http, headers, base_url, context, cluster,
                                        _companion(companions, "namespace"))
            except ProviderError as exc:
                return unverifiable(str(exc), base_url)
            except MutationRefused as exc:
                return unverifiable(f"request refused by the read-only guard: {exc}", base_url)

    def _offline(self, server: str | None, context: str, cluster: str) -> BlastRadius:
        host = urlsplit(server).hostname if server else None
        env_name = context or cluster or host
        resources = (Resource("kubernetes cluster", cluster or context or host or "?", environment=env_name,
                              env_class=classify_environment(env_name)),)
        return BlastRadius(identity=f"context {context}" if context else None, resources=resources)

    def _client(self, credential: Credential, ctx: ProviderContext, base_url: str,
                directory: str) -> ReadOnlyHttp:
        companions = credential.companions
        ca_data = _companion(companions, "certificate_authority_data", "certificate-authority-data", "ca_data")
        ca_file = None
        if ca_data and base_url.startswith("https://"):
            pem = _pem(ca_data)
            if pem is None:
                raise ValueError("certificate-authority-data next to the credential is not a PEM certificate")
            ca_file = _write_private(directory, "ca.pem", pem)
        insecure = (_companion(companions, "insecure_skip_tls_verify", "insecure-skip-tls-verify") or "").lower()
        client_cert = None
        if credential.kind == "kubernetes_client_key":
            key = _pem(credential.secret)
            cert_value = _companion(companions, "client_certificate_data", "client-certificate-data",
                                    "client_certificate")
            if key is None:
                raise ValueError("client key is not a PEM private key")
            if not cert_value or _pem(cert_value) is None:
                raise ValueError("client key found without its client certificate; both are needed to log in")
            client_cert = (_write_private(directory, "client.crt", _pem(cert_value) or b""),
                           _write_private(directory, "client.key", key))
        if not ca_file and not client_cert and insecure != "true":
            return ctx.http if ctx.endpoint_overridden else ReadOnlyHttp(base_url, ctx.http.settings)
        return _ClusterHttp(base_url, ctx.http.settings, None, ca_file=ca_file, client_cert=client_cert,
                            insecure=insecure == "true")

    def _introspect(self, http: ReadOnlyHttp, headers: dict[str, str], base_url: str, context: str,
                    cluster: str, namespace: str | None) -> Introspection:
        identity, groups, failure = self._whoami(http, headers, base_url)
        if failure is not None:
            return failure
        namespaces_seen = self._namespaces(http, headers)
        wanted = [namespace or "default", "kube-system"]
        for name in namespaces_seen or []:
            if len(wanted) >= 2 + MAX_EXTRA_NAMESPACES:
                break
            if classify_environment(name) in (EnvClass.PRODUCTION, EnvClass.STAGING) and name not in wanted:
                wanted.append(name)
        reviews: list[NamespaceRules] = []
        for ns in dict.fromkeys(wanted):
            review = self._rules(http, headers, ns)
            if isinstance(review, Introspection):
                return review
            reviews.append(review)
        blast = blast_radius(identity, groups, reviews, namespaces_seen, context, cluster,
                             urlsplit(base_url).hostname or base_url)
        who = identity or "unknown user"
        return live(f"authenticated to the cluster as `{who}`", base_url, blast)

    def _whoami(self, http: ReadOnlyHttp, headers: dict[str, str],
                base_url: str) -> tuple[str | None, tuple[str, ...], Introspection | None]:
        for path in SELF_SUBJECT_REVIEW_PATHS:
            version = path.split("/")[3]
            body = {"apiVersion": f"authentication.k8s.io/{version}", "kind": "SelfSubjectReview"}
            response = http.request("POST", path, headers=headers, json_body=body,
                                    post_kind=ReadOnlyPost.KUBERNETES_SELF_SUBJECT_REVIEW)
            if response.status == 401:
                return None, (), invalid(_status_reason(response, "cluster rejected the credential (401)"),
                                         base_url)
            if response.status in (404, 403):
                continue  # older cluster, or review not allowed: identity stays unknown
            problem = status_problem(response)
            if problem:
                return None, (), unverifiable(problem, base_url)
            info = (response.json().get("status") or {}).get("userInfo") or {}
            groups = tuple(str(g) for g in info.get("groups") or [])
            return (str(info["username"]) if info.get("username") else None), groups, None
        return None, (), None

    def _namespaces(self, http: ReadOnlyHttp, headers: dict[str, str]) -> list[str] | None:
        response = http.get(NAMESPACES_PATH, headers={k: v for k, v in headers.items() if k != "Content-Type"})
        if response.status != 200:
            return None
        items = response.json().get("items") or []
        names = [str((item.get("metadata") or {}).get("name")) for item in items if isinstance(item, dict)]
        return [n for n in names if n and n != "None"]

    def _rules(self, http: ReadOnlyHttp, headers: dict[str, str], namespace: str) -> NamespaceRules | Introspection:
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
                "spec": {"namespace": namespace}}
        response = http.request("POST", RULES_REVIEW_PATH, headers=headers, json_body=body,
                                post_kind=ReadOnlyPost.KUBERNETES_SELF_SUBJECT_REVIEW)
        if response.status == 401:
            return invalid(_status_reason(response, "cluster rejected the credential (401)"), http.base_url)
        problem = status_problem(response)
        if problem:
            return NamespaceRules(namespace, (), True, problem)
        status = response.json().get("status") or {}
        rules = tuple(Rule.parse(r) for r in status.get("resourceRules") or [] if isinstance(r, dict))
        error = status.get("evaluationError")
        return NamespaceRules(namespace, rules, bool(status.get("incomplete")), str(error) if error else None)


def _status_reason(response: Response, default: str) -> str:
    try:
        data = response.json()
    except ProviderError:
        return default
    if isinstance(data, dict) and data.get("kind") == "Status":
        return REDACTOR.scrub(f"cluster answered {data.get('code', response.status)} {data.get('reason', '')}"
                              .strip())
    return default


def _resource_label(rule: Rule, resource: str) -> str:
    groups = sorted(g for g in rule.groups if g)
    return f"{groups[0]}/{resource}" if groups and groups[0] != "*" else resource


def blast_radius(identity: str | None, groups: tuple[str, ...], reviews: list[NamespaceRules],
                 namespaces: list[str] | None, context: str, cluster: str, host: str) -> BlastRadius:
    cluster_name = cluster or context or host
    cluster_env = classify_environment(context) if classify_environment(context) is not EnvClass.UNKNOWN \
        else classify_environment(cluster or host)
    cluster_res = Resource("kubernetes cluster", cluster_name, environment=context or None, env_class=cluster_env)

    def ns_resource(ns: str) -> Resource:
        env = classify_environment(ns)
        if env is EnvClass.UNKNOWN or ns == "kube-system":
            env = cluster_env  # `default` and `kube-system` are as production as the cluster
        return Resource("namespace", ns, environment=ns, env_class=env, parent=f"cluster `{cluster_name}`")

    caps: dict[tuple[Action, str], list[Resource]] = {}
    notes: list[str] = []
    unknowns: list[str] = []
    admin = False

    def add(action: Action, operation: str, resource: Resource) -> None:
        bucket = caps.setdefault((action, operation), [])
        if resource not in bucket:
            bucket.append(resource)

    for review in reviews:
        ns_res = ns_resource(review.namespace)
        if review.incomplete or review.error:
            unknowns.append(f"rules in namespace `{review.namespace}` may be incomplete"
                            + (f": {REDACTOR.scrub(review.error)}" if review.error else ""))
        for rule in review.rules:
            if rule.is_cluster_admin:
                admin = True
                add(Action.ADMIN, "* on * (cluster-admin)", cluster_res)
                continue
            for resource in sorted(rule.resources - NEUTRAL_RESOURCES):
                target = cluster_res if resource in CLUSTER_SCOPED or resource == "*" else ns_res
                label = _resource_label(rule, resource)
                if rule.verbs & DESTRUCTIVE_VERBS:
                    add(Action.DELETE, f"delete {label}", target)
                if rule.verbs & ESCALATION_VERBS and resource in ("roles", "clusterroles", "rolebindings",
                                                                  "clusterrolebindings", "users", "groups",
                                                                  "serviceaccounts", "*"):
                    add(Action.ADMIN, f"{'/'.join(sorted(rule.verbs & ESCALATION_VERBS))} {label}", target)
                if resource in ("pods/exec", "pods/attach") and rule.verbs & {"create", "get", "*"}:
                    add(Action.WRITE, f"exec into pods ({label})", target)
                elif rule.verbs & WRITE_VERBS:
                    add(Action.WRITE, f"create/update {label}", target)
                if resource == "secrets" and rule.verbs & READ_VERBS:
                    add(Action.READ, "read secrets", target)
                elif rule.verbs & READ_VERBS:
                    add(Action.READ, f"read {label}", target)

    capabilities = tuple(Capability(action, operation, tuple(resources))
                         for (action, operation), resources in sorted(caps.items(), key=lambda kv: kv[0]))
    if admin:
        notes.append(f"cluster-admin on `{cluster_name}`: every verb on every resource, including deleting "
                     "namespaces, volumes and reading all Secrets")
    else:
        for (action, operation), resources in sorted(caps.items(), key=lambda kv: kv[0]):
            if action is Action.DELETE and operation.split("/")[-1].split()[-1] in IMPORTANT_RESOURCES:
                where = ", ".join(f"`{r.name}`" for r in resources)
                notes.append(f"can {operation} in {where}")
        if any(op == "read secrets" for _, op in caps):
            notes.append("can read Secrets (their values were not read)")
    scopes = tuple(f"group {g}" for g in groups)
    resources = [cluster_res, *(ns_resource(r.namespace) for r in reviews)]
    if namespaces:
        notes.append(f"sees {len(namespaces)} namespaces: " + ", ".join(namespaces[:20])
                     + ("…" if len(namespaces) > 20 else ""))
    if not capabilities:
        notes.append("authenticated, but RBAC grants nothing beyond self-review in the namespaces checked")
    return BlastRadius(identity=identity, token_type="cluster credential", scopes=scopes,
                       resources=tuple(dict.fromkeys(resources)), capabilities=capabilities,
                       notes=tuple(notes), unknowns=tuple(unknowns))


PROVIDER = KubernetesProvider()
