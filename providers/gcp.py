"""Google Cloud service-account keys: mint a short-lived token, then ask which permissions it holds.

Steps (shared/reference/providers.md §22; Google "Using OAuth 2.0 for Server to Server
Applications" and Resource Manager ``projects.testIamPermissions``):

1. Offline: parse the PEM key and the JSON fields beside it (``client_email``, ``project_id``,
   ``private_key_id``, ``token_uri``) — identity and project without any call.
2. ``GET https://www.googleapis.com/robot/v1/metadata/x509/<client_email>`` (public, no secret sent):
   the account's active public certificates by key id. A key id that is absent, or a certificate
   whose public key is not this key's, means the key was deleted or disabled.
3. Sign a JWT (RS256, ``iss``/``sub`` = client_email, ``aud`` = the token endpoint, scope
   cloud-platform, ≤1 h) and ``POST https://oauth2.googleapis.com/token`` with the jwt-bearer grant
   (``ReadOnlyPost.GCP_TOKEN_EXCHANGE``). Only that default endpoint or the user's
   ``--endpoint gcp=URL`` is used — never a ``token_uri`` taken from the file, which could send
   a signed assertion anywhere.
4. ``POST https://cloudresourcemanager.googleapis.com/v1/projects/<id>:testIamPermissions`` with a
   list of destructive permissions; "There are no permissions required for making this API call".

RS256 needs the ``cryptography`` package; where it is missing the key is reported unverifiable.
``authorized_user`` credentials (ADC with a refresh token) are never used: refresh tokens are
off-limits.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from providers.base import (
    Introspection,
    Provider,
    ProviderContext,
    ProviderError,
    ReadOnlyHttp,
    classify_environment,
    invalid,
    live,
    status_problem,
    unverifiable,
)
from providers.guard import MutationRefused, ReadOnlyPost
from scanner.model import Action, BlastRadius, Capability, Credential, Resource
from scanner.redact import REDACTOR

TOKEN_HOST = "https://oauth2.googleapis.com"
TOKEN_URL = TOKEN_HOST + "/token"
CERTS_HOST = "https://www.googleapis.com"
CRM_HOST = "https://cloudresourcemanager.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 600

# Permissions tested on the project, with the action each one grants. Real permission names only:
# testIamPermissions rejects unknown names and wildcards.
PERMISSIONS: Mapping[str, Action] = {
    "resourcemanager.projects.delete": Action.DELETE,
    "resourcemanager.projects.setIamPolicy": Action.ADMIN,
    "iam.serviceAccountKeys.create": Action.ADMIN,
    "iam.serviceAccounts.actAs": Action.ADMIN,
    "iam.roles.create": Action.ADMIN,
    "storage.buckets.delete": Action.DELETE,
    "storage.objects.delete": Action.DELETE,
    "cloudsql.instances.delete": Action.DELETE,
    "cloudsql.backupRuns.delete": Action.DELETE,
    "compute.instances.delete": Action.DELETE,
    "compute.disks.delete": Action.DELETE,
    "compute.snapshots.delete": Action.DELETE,
    "bigquery.datasets.delete": Action.DELETE,
    "bigquery.tables.delete": Action.DELETE,
    "container.clusters.delete": Action.DELETE,
    "run.services.delete": Action.DELETE,
    "cloudfunctions.functions.delete": Action.DELETE,
    "pubsub.topics.delete": Action.DELETE,
    "resourcemanager.projects.createBillingAssignment": Action.BILLING,
    "resourcemanager.projects.deleteBillingAssignment": Action.BILLING,
    "storage.objects.create": Action.WRITE,
    "compute.instances.create": Action.WRITE,
    "cloudsql.instances.update": Action.WRITE,
    "container.clusters.update": Action.WRITE,
    "storage.objects.get": Action.READ,
    "storage.objects.list": Action.READ,
    "bigquery.tables.getData": Action.READ,
    "secretmanager.versions.access": Action.READ,
    "container.clusters.getCredentials": Action.READ,
    "resourcemanager.projects.get": Action.READ,
}
NOTEWORTHY = {
    "resourcemanager.projects.delete": "can delete the whole project `{p}`",
    "resourcemanager.projects.setIamPolicy": "can change IAM policy of `{p}` (grant itself anything)",
    "iam.serviceAccountKeys.create": "can create new service-account keys in `{p}` (persistence)",
    "cloudsql.instances.delete": "can delete Cloud SQL instances in `{p}`",
    "storage.buckets.delete": "can delete Cloud Storage buckets in `{p}`",
    "compute.instances.delete": "can delete Compute Engine VMs in `{p}`",
    "secretmanager.versions.access": "can read Secret Manager secret values in `{p}` (not read)",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def normalize_pem(secret: str) -> str:
    """The key as found in JSON text may still carry ``\\n`` escapes."""
    text = secret.strip().strip('"')
    if "\\n" in text:
        text = text.replace("\\n", "\n")
    return text


@dataclass(frozen=True)
class KeyFacts:
    client_email: str | None
    project_id: str | None
    private_key_id: str | None
    token_uri: str | None


def key_facts(companions: Mapping[str, str]) -> KeyFacts:
    email = companions.get("client_email") or None
    project = companions.get("project_id") or None
    if not project and email and email.endswith(".iam.gserviceaccount.com"):
        project = email.split("@", 1)[1].split(".", 1)[0]
    return KeyFacts(email, project, companions.get("private_key_id") or None, companions.get("token_uri") or None)


def load_rsa_key(pem: str) -> Any:
    """The RSA private key object; raises ImportError without ``cryptography``, ValueError if unusable."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("service-account keys are RSA; this key is not")
    return key


def sign_jwt(key: Any, facts: KeyFacts, now: int | None = None) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    issued = int(time.time()) if now is None else now
    header: dict[str, str] = {"alg": "RS256", "typ": "JWT"}
    if facts.private_key_id:
        header["kid"] = facts.private_key_id
    claims = {"iss": facts.client_email, "sub": facts.client_email, "aud": TOKEN_URL, "scope": SCOPE,
              "iat": issued, "exp": issued + TOKEN_LIFETIME}
    signing_input = (_b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + _b64url(json.dumps(claims, separators=(",", ":")).encode()))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64url(signature)


def _cert_matches(cert_pem: str, key: Any) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return False
    public = cert.public_key()
    return isinstance(public, rsa.RSAPublicKey) and public.public_numbers() == key.public_key().public_numbers()


class GcpProvider(Provider):
    name = "gcp"
    display_name = "Google Cloud"
    kinds = frozenset({"gcp_service_account_key", "gcp_authorized_user"})
    default_base_url = TOKEN_HOST
    other_default_urls = (CERTS_HOST, CRM_HOST)
    reveals = ("service account and project offline; key liveness from the public x509 list; "
               "destructive permissions held on the project (testIamPermissions)")
    docs = ("https://developers.google.com/identity/protocols/oauth2/service-account#httprest",
            "https://cloud.google.com/resource-manager/reference/rest/v1/projects/testIamPermissions")

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        facts = key_facts(credential.companions)
        offline = self._offline(facts)
        if credential.kind == "gcp_authorized_user":
            return unverifiable("user credentials (authorized_user) hold a refresh token; credreach never uses "
                                "refresh tokens", blast=offline)
        if not facts.client_email:
            return unverifiable("service-account key found without its client_email", blast=offline)
        try:
            key = load_rsa_key(normalize_pem(credential.secret))
        except ImportError:
            return unverifiable("verifying a service-account key (RS256 signing) needs the cryptography "
                                "package, which is not installed", blast=offline)
        except (ValueError, TypeError) as exc:
            return unverifiable(f"private key cannot be used: {type(exc).__name__}", blast=offline)
        notes = list(offline.notes)
        if facts.token_uri and facts.token_uri.rstrip("/") != TOKEN_URL:
            notes.append(f"the key file names token_uri {facts.token_uri}; it was ignored (only "
                         f"{TOKEN_URL} or --endpoint gcp=URL is used)")
        try:
            return self._network(key, facts, ctx, offline, notes)
        except ProviderError as exc:
            return unverifiable(str(exc), ctx.http.base_url, offline)
        except MutationRefused as exc:
            return unverifiable(f"request refused by the read-only guard: {exc}", ctx.http.base_url, offline)

    def _offline(self, facts: KeyFacts) -> BlastRadius:
        resources: tuple[Resource, ...] = ()
        if facts.project_id:
            resources = (Resource("project", facts.project_id, environment=facts.project_id,
                                  env_class=classify_environment(facts.project_id)),)
        notes = (f"key id {facts.private_key_id}",) if facts.private_key_id else ()
        return BlastRadius(identity=facts.client_email, token_type="service account key", resources=resources,
                           notes=notes)

    def _network(self, key: Any, facts: KeyFacts, ctx: ProviderContext, offline: BlastRadius,
                 notes: list[str]) -> Introspection:
        token_http = ctx.http_for(TOKEN_HOST)
        endpoint = token_http.base_url
        certs = ctx.http_for(CERTS_HOST).get(f"/robot/v1/metadata/x509/{quote(facts.client_email or '', safe='@')}")
        if certs.status == 404:
            return invalid("the service account no longer exists (no public certificates)", endpoint)
        if certs.status == 200:
            published = certs.json()
            if isinstance(published, dict) and facts.private_key_id:
                if facts.private_key_id not in published:
                    return invalid(f"key id {facts.private_key_id} is not among the account's active keys "
                                   "(deleted or disabled)", endpoint)
                if not _cert_matches(str(published[facts.private_key_id]), key):
                    return invalid("the published certificate for this key id does not match the private key",
                                   endpoint)

        assertion = sign_jwt(key, facts)
        REDACTOR.register(assertion)
        response = token_http.request("POST", "/token", form={"grant_type": JWT_GRANT, "assertion": assertion},
                                      post_kind=ReadOnlyPost.GCP_TOKEN_EXCHANGE)
        if response.status in (400, 401):
            error = _error(response)
            return invalid(f"token endpoint refused the key: {error}", endpoint)
        problem = status_problem(response)
        if problem:
            return unverifiable(problem, endpoint, offline)
        access_token = str(response.json().get("access_token") or "")
        if not access_token:
            return unverifiable("token endpoint answered without an access token", endpoint, offline)
        REDACTOR.register(access_token)
        blast = self._permissions(ctx.http_for(CRM_HOST), access_token, facts, offline, notes)
        return live(f"service account `{facts.client_email}` minted an access token", endpoint, blast)

    def _permissions(self, http: ReadOnlyHttp, token: str, facts: KeyFacts, offline: BlastRadius,
                     notes: list[str]) -> BlastRadius:
        unknowns: list[str] = []
        capabilities: list[Capability] = []
        scopes: list[str] = []
        project = facts.project_id
        if not project:
            unknowns.append("no project_id beside the key: project permissions not tested")
            return BlastRadius(offline.identity, offline.token_type, (), offline.resources, (), tuple(notes),
                               tuple(unknowns))
        response = http.request("POST", f"/v1/projects/{quote(project)}:testIamPermissions",
                                headers={"Authorization": f"Bearer {token}"},
                                json_body={"permissions": list(PERMISSIONS)},
                                post_kind=ReadOnlyPost.GCP_TEST_IAM_PERMISSIONS)
        if response.status == 200:
            granted = [p for p in (response.json().get("permissions") or []) if p in PERMISSIONS]
            resource = offline.resources[0]
            scopes.extend(granted)
            for permission in granted:
                capabilities.append(Capability(PERMISSIONS[permission], permission, (resource,)))
                if permission in NOTEWORTHY:
                    notes.append(NOTEWORTHY[permission].format(p=project))
            if not granted:
                notes.append(f"holds none of the {len(PERMISSIONS)} tested permissions on `{project}`")
        else:
            unknowns.append(f"permissions on project `{project}` could not be tested "
                            f"(HTTP {response.status}: {_error(response)})")
        return BlastRadius(offline.identity, offline.token_type, tuple(scopes), offline.resources,
                           tuple(capabilities), tuple(notes), tuple(unknowns))


def _error(response: Any) -> str:
    try:
        data = response.json()
    except ProviderError:
        return f"HTTP {response.status}"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):  # Google API error envelope
            return REDACTOR.scrub(str(err.get("status") or err.get("message") or response.status))
        description = data.get("error_description")
        return REDACTOR.scrub(f"{err}" + (f" ({description})" if description else ""))
    return f"HTTP {response.status}"


PROVIDER = GcpProvider()
