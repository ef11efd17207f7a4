"""AWS access keys: who the key is (STS) and what its IAM policies let it destroy.

Flow, all read-only (every request is an allow-listed AWS Query read, see providers/guard.py):

1. Offline first. Decode the account ID from the key ID (trufflehog ``GetAccountNumFromID``) and stop
   without any request when it is a known canary-token account: a single signed call fires the alarm.
2. ``sts:GetCallerIdentity`` (needs no permission, cannot be denied) proves the key live and names the
   principal (user, assumed role, root, federated user).
3. IAM reads of the principal's own policies: attached managed policies (``GetPolicy`` ->
   ``GetPolicyVersion``), inline policies, and for users the groups' policies. Denied reads become
   ``unknowns``; the key is still live.
4. Static evaluation of the documents (moto does not implement ``SimulatePrincipalPolicy``, and the
   simulator needs its own permission): Allow/Deny with IAM wildcards, NotAction/NotResource and
   Conditions marked uncertain. Permission boundaries, SCPs, session policies and resource-based
   policies are invisible to the key and are named in the notes.

No boto3/botocore at runtime: requests are signed by :mod:`providers._sigv4`.

API references:
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html (and the other
IAM List*/Get* pages), https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from providers._aws_policy import (
    PolicyEvaluation,
    Statement,
    decode_document,
    parse_statements,
    resource_from_arn,
)
from providers._sigv4 import sign_query_post
from providers.base import (
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
from scanner.redact import REDACTOR, preview

STS_URL = "https://sts.amazonaws.com"
IAM_URL = "https://iam.amazonaws.com"
SIGNING_REGION = "us-east-1"  # the global STS and IAM endpoints are signed for us-east-1
STS_VERSION = "2011-06-15"
IAM_VERSION = "2010-05-08"
MAX_PAGES = 20
MAX_POLICIES = 60

KEY_ID = re.compile(r"^(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}$")

# Accounts behind canarytokens.org AWS keys and "off-brand" canaries (trufflehog canary.go,
# providers.md section 4.1). Any signed request with such a key alerts whoever planted it.
CANARY_ACCOUNTS = frozenset({
    "052310077262", "171436882533", "534261010715", "595918472158", "717712589309", "819147034852",
    "992382622183", "730335385048", "266735846894", "893192397702",
    "044858866125", "251535659677", "344043088457", "351906852752", "390477818340", "426127672474",
    "427150556519", "439872796651", "445142720921", "465867158099", "637958123769", "693412236332",
    "732624840810", "735421457923", "959235150393", "982842642351",
})

INVALID_CODES = frozenset({
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId",
    "AuthFailure", "InvalidToken",
})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"})
THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "RequestThrottled", "SlowDown", "ServiceUnavailable", "InternalFailure", "InternalError",
})
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


# --- offline key analysis ---------------------------------------------------------------------

def account_from_key_id(key_id: str) -> str | None:
    """Account ID encoded in a modern key ID (trufflehog ``GetAccountNumFromID``); None for old keys.

    Characters 5..20 are base32; the first 6 decoded bytes, masked with ``0x7fffffffff80`` and
    shifted right by 7, are the account. Keys whose 5th character is ``I`` or ``J`` predate that
    scheme and encode no account.
    """
    if not KEY_ID.match(key_id) or key_id[4] in "IJ":
        return None
    try:
        decoded = base64.b32decode(key_id[4:])
    except (binascii.Error, ValueError):
        return None
    value = int.from_bytes(decoded[:6], "big")
    return f"{(value & 0x7FFFFFFFFF80) >> 7:012d}"


# --- wire ---------------------------------------------------------------------------------------

class AwsApiError(Exception):
    """A Query-protocol error answer (``<ErrorResponse><Error><Code>``)."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(f"{code or 'HTTP ' + str(status)}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _strip_namespaces(root: ET.Element) -> ET.Element:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    return root


def _parse_xml(body: bytes) -> ET.Element | None:
    try:
        return _strip_namespaces(ET.fromstring(body))
    except ET.ParseError:
        return None


def _error_from(status: int, body: bytes) -> AwsApiError:
    root = _parse_xml(body)
    code = message = None
    if root is not None:
        code = next((e.text for e in root.iter("Code") if e.text), None)
        message = next((e.text for e in root.iter("Message") if e.text), None)
    return AwsApiError(status, code, REDACTOR.scrub((message or "")[:300]))


@dataclass
class _Signer:
    """Sends one signed Query read to one host; knows the key, never prints it."""

    http: ReadOnlyHttp
    service: str
    version: str
    key_id: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    calls: list[str] = field(default_factory=list)

    def call(self, action: str, params: Mapping[str, str] | None = None) -> ET.Element:
        form = {"Action": action, "Version": self.version, **(params or {})}
        headers = sign_query_post(base_url=self.http.base_url, form=form, access_key_id=self.key_id,
                                  secret_access_key=self.secret_key, session_token=self.session_token,
                                  region=SIGNING_REGION, service=self.service)
        headers["Accept"] = "text/xml"  # Query APIs answer JSON to Accept: application/json
        self.calls.append(action)
        response = self.http.request("POST", "/", form=form, headers=headers,
                                     post_kind=ReadOnlyPost.AWS_QUERY_READ)
        if not 200 <= response.status < 300:
            raise _error_from(response.status, response.body)
        root = _parse_xml(response.body)
        if root is None:
            raise ProviderError(f"malformed XML from AWS for {action} (HTTP {response.status})")
        return root

    def paged(self, action: str, params: Mapping[str, str], member_path: str) -> list[ET.Element]:
        """All ``member`` elements of a Marker-paginated List* call."""
        items: list[ET.Element] = []
        marker: str | None = None
        for _ in range(MAX_PAGES):
            page_params = dict(params)
            if marker:
                page_params["Marker"] = marker
            root = self.call(action, page_params)
            items.extend(root.findall(f".//{member_path}/member"))
            truncated = (root.findtext(".//IsTruncated") or "").strip().lower() == "true"
            marker = root.findtext(".//Marker")
            if not truncated or not marker:
                break
        return items


# --- principal --------------------------------------------------------------------------------

ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<rest>.+)$")


@dataclass(frozen=True)
class Principal:
    arn: str
    account: str
    kind: str
    """``user``, ``assumed-role``, ``root``, ``federated-user`` or ``unknown``."""
    name: str
    session: str | None = None


def parse_principal(arn: str, account: str) -> Principal:
    match = ARN.match(arn)
    if not match:
        return Principal(arn, account, "unknown", arn)
    rest = match["rest"]
    if rest == "root":
        return Principal(arn, match["account"], "root", "root")
    if rest.startswith("user/"):
        return Principal(arn, match["account"], "user", rest.rsplit("/", 1)[1])
    if rest.startswith("assumed-role/"):
        parts = rest.split("/")
        session = parts[2] if len(parts) > 2 else None
        return Principal(arn, match["account"], "assumed-role", parts[1] if len(parts) > 1 else "", session)
    if rest.startswith("federated-user/"):
        return Principal(arn, match["account"], "federated-user", rest.split("/", 1)[1])
    return Principal(arn, match["account"], "unknown", rest)


# --- the provider -----------------------------------------------------------------------------

@dataclass
class _Collected:
    statements: list[Statement] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    documents_read: int = 0


class AwsProvider(Provider):
    name: ClassVar[str] = "aws"
    display_name: ClassVar[str] = "Amazon Web Services"
    kinds: ClassVar[frozenset[str]] = frozenset({"aws_access_key"})
    default_base_url: ClassVar[str] = STS_URL
    other_default_urls: ClassVar[tuple[str, ...]] = (IAM_URL,)
    reveals: ClassVar[str] = ("account and caller ARN (sts:GetCallerIdentity), the caller's IAM policies, "
                              "and which admin/delete actions they allow on which resources; canary keys "
                              "are recognised offline and never used")
    docs: ClassVar[tuple[str, ...]] = (
        "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
    )

    def introspect(self, credential: Credential, ctx: ProviderContext) -> Introspection:
        key_id = credential.secret.strip()
        account_hint = account_from_key_id(key_id)
        if account_hint in CANARY_ACCOUNTS:
            return unverifiable(
                f"canary token: key {preview(key_id)} belongs to AWS account {account_hint}, a known "
                "canarytokens account; not used, because any signed request would raise the alarm",
                None,
                BlastRadius(identity=f"account {account_hint}", token_type="canary AWS access key",
                            notes=("Known canary-token account: someone planted this key to detect its "
                                   "use. It was not sent anywhere.",)))
        secret_key = (credential.companions.get("aws_secret_access_key") or "").strip()
        if not secret_key:
            return unverifiable("secret access key not found next to the key id")
        session_token = (credential.companions.get("aws_session_token") or "").strip() or None
        if key_id.startswith("ASIA") and not session_token:
            return unverifiable("temporary (ASIA) key found without its session token; cannot be checked")
        try:
            return self._introspect(key_id, secret_key, session_token, account_hint, credential, ctx)
        except (ProviderError, MutationRefused) as exc:
            return unverifiable(str(exc), ctx.http.base_url)

    def _introspect(self, key_id: str, secret_key: str, session_token: str | None,
                    account_hint: str | None, credential: Credential, ctx: ProviderContext) -> Introspection:
        endpoint = ctx.http.base_url
        sts = _Signer(ctx.http, "sts", STS_VERSION, key_id, secret_key, session_token)
        try:
            root = sts.call("GetCallerIdentity")
        except AwsApiError as exc:
            return _identity_failure(exc, endpoint)
        arn = (root.findtext(".//GetCallerIdentityResult/Arn") or "").strip()
        account = (root.findtext(".//GetCallerIdentityResult/Account") or account_hint or "").strip()
        if not arn:
            return unverifiable("GetCallerIdentity answered without an Arn", endpoint)
        principal = parse_principal(arn, account)

        collected = _Collected()
        try:
            iam_http = ctx.http_for(IAM_URL)
        except MutationRefused as exc:  # the run did not list IAM among AWS's own hosts
            collected.unknowns.append(f"IAM policies not read: {exc}")
            blast = _blast_radius(key_id, principal, (None, EnvClass.UNKNOWN), collected, credential)
            return live(f"sts:GetCallerIdentity: {principal.arn}", endpoint, blast)
        iam = _Signer(iam_http, "iam", IAM_VERSION, key_id, secret_key, session_token)
        account_env = _account_environment(iam)
        if principal.kind == "user":
            _collect_user(iam, principal.name, collected)
        elif principal.kind == "assumed-role":
            _collect_role(iam, principal.name, collected)
            collected.notes.append("Session policies passed to AssumeRole may narrow this session further; "
                                   "they are not visible to the key.")
        elif principal.kind != "root":
            collected.unknowns.append(f"permissions of {principal.kind} {principal.name} cannot be read "
                                      "through IAM; what this key can change is unknown")

        blast = _blast_radius(key_id, principal, account_env, collected, credential)
        kind = {"user": "IAM user", "assumed-role": "assumed role", "root": "ROOT user"}.get(
            principal.kind, principal.kind)
        return live(f"sts:GetCallerIdentity: {kind} {principal.arn}", endpoint, blast)


def _identity_failure(exc: AwsApiError, endpoint: str) -> Introspection:
    code = exc.code or ""
    if code in EXPIRED_CODES:
        return invalid("expired session (ExpiredToken)", endpoint)
    if code in INVALID_CODES:
        what = "wrong secret access key" if code == "SignatureDoesNotMatch" else "unknown or deleted key"
        return invalid(f"AWS rejected the key: {code} ({what})", endpoint)
    if code in THROTTLE_CODES or exc.status == 429 or exc.status >= 500:
        return unverifiable(f"AWS throttled or failed ({code or 'HTTP ' + str(exc.status)}); try again later",
                            endpoint)
    if code == "RequestExpired":
        return unverifiable("AWS refused the request time (RequestExpired): check the system clock", endpoint)
    if code:
        return unverifiable(f"GetCallerIdentity failed: {code}: {exc.message}", endpoint)
    problem = status_problem(Response(exc.status, {}, b"", endpoint)) or f"HTTP {exc.status}"
    return unverifiable(f"GetCallerIdentity failed: {problem}", endpoint)


def _account_environment(iam: _Signer) -> tuple[str | None, EnvClass]:
    """The account alias (``acme-prod``) names the environment of account-wide grants."""
    try:
        aliases = [m.text or "" for m in iam.paged("ListAccountAliases", {}, "AccountAliases")]
    except (AwsApiError, ProviderError):
        return None, EnvClass.UNKNOWN
    for alias in aliases:
        env = classify_environment(alias)
        if env is not EnvClass.UNKNOWN:
            return alias, env
    return (aliases[0] if aliases else None), EnvClass.UNKNOWN


def _try(collected: _Collected, what: str, fn: Any, *args: Any) -> Any:
    """Run one IAM read; a denial or failure becomes an unknown instead of ending the check."""
    try:
        return fn(*args)
    except AwsApiError as exc:
        if exc.code in DENIED_CODES:
            collected.unknowns.append(f"{what}: denied ({exc.code}); policies from it are unknown")
        else:
            collected.unknowns.append(f"{what}: failed ({exc.code or 'HTTP ' + str(exc.status)})")
    except ProviderError as exc:
        collected.unknowns.append(f"{what}: failed ({exc})")
    return None


def _add_document(collected: _Collected, raw: str | None, source: str) -> None:
    if raw is None:
        return
    try:
        document = decode_document(raw)
    except ValueError:
        collected.unknowns.append(f"{source}: policy document could not be parsed")
        return
    collected.statements.extend(parse_statements(document, source))
    collected.scopes.append(source)
    collected.documents_read += 1


def _managed(iam: _Signer, collected: _Collected, action: str, params: Mapping[str, str], owner: str) -> None:
    subject = next(iter(params.values()), "")
    members = _try(collected, f"iam:{action} for {subject}", iam.paged, action, params, "AttachedPolicies")
    for member in (members or [])[:MAX_POLICIES]:
        arn = member.findtext("PolicyArn") or ""
        name = member.findtext("PolicyName") or arn
        policy = _try(collected, f"iam:GetPolicy {name}", iam.call, "GetPolicy", {"PolicyArn": arn})
        if policy is None:
            continue
        version = policy.findtext(".//Policy/DefaultVersionId") or "v1"
        doc = _try(collected, f"iam:GetPolicyVersion {name}", iam.call, "GetPolicyVersion",
                   {"PolicyArn": arn, "VersionId": version})
        if doc is not None:
            source = f"managed policy {name}{owner}"
            _add_document(collected, doc.findtext(".//PolicyVersion/Document"), source)


def _inline(iam: _Signer, collected: _Collected, list_action: str, get_action: str,
            name_param: str, principal_name: str, owner: str) -> None:
    members = _try(collected, f"iam:{list_action} for {principal_name}", iam.paged, list_action,
                   {name_param: principal_name}, "PolicyNames")
    for member in (members or [])[:MAX_POLICIES]:
        policy_name = member.text or ""
        doc = _try(collected, f"iam:{get_action} {policy_name}", iam.call, get_action,
                   {name_param: principal_name, "PolicyName": policy_name})
        if doc is not None:
            _add_document(collected, doc.findtext(".//PolicyDocument"), f"inline policy {policy_name}{owner}")


def _collect_user(iam: _Signer, user: str, collected: _Collected) -> None:
    _managed(iam, collected, "ListAttachedUserPolicies", {"UserName": user}, "")
    _inline(iam, collected, "ListUserPolicies", "GetUserPolicy", "UserName", user, "")
    groups = _try(collected, f"iam:ListGroupsForUser for {user}", iam.paged, "ListGroupsForUser",
                  {"UserName": user}, "Groups")
    for group in (groups or [])[:MAX_POLICIES]:
        name = group.findtext("GroupName") or ""
        owner = f" (via group {name})"
        _managed(iam, collected, "ListAttachedGroupPolicies", {"GroupName": name}, owner)
        _inline(iam, collected, "ListGroupPolicies", "GetGroupPolicy", "GroupName", name, owner)


def _collect_role(iam: _Signer, role: str, collected: _Collected) -> None:
    got = _try(collected, f"iam:GetRole {role}", iam.call, "GetRole", {"RoleName": role})
    if got is not None:
        description = got.findtext(".//Role/Description")
        if description:
            collected.notes.append(f"Role {role}: {description[:200]}")
    _managed(iam, collected, "ListAttachedRolePolicies", {"RoleName": role}, " (role)")
    _inline(iam, collected, "ListRolePolicies", "GetRolePolicy", "RoleName", role, " (role)")


def _blast_radius(key_id: str, principal: Principal, account_env: tuple[str | None, EnvClass],
                  collected: _Collected, credential: Credential) -> BlastRadius:
    account = principal.account
    account_resource = resource_from_arn("*", account, account_env)
    notes: list[str] = []
    if account_env[0]:
        notes.append(f"Account {account} has alias `{account_env[0]}`.")
    profile = credential.companions.get("profile")
    if profile:
        notes.append(f"Found as AWS profile `{profile}`.")
    token_type = {
        "AKIA": "long-term IAM access key", "ASIA": "temporary STS session key",
        "ABIA": "STS service bearer token", "ACCA": "context-specific credential",
    }.get(key_id[:4], "AWS access key")
    capabilities: list[Capability] = []

    if principal.kind == "root":
        notes.append("ROOT user access key: IAM policies do not limit it; it can do anything in the account, "
                     "including closing it.")
        capabilities.append(Capability(Action.ADMIN, "root:*", (account_resource,), True))
        return BlastRadius(identity=principal.arn, token_type=f"{token_type} (root user)",
                           resources=(account_resource,), capabilities=tuple(capabilities),
                           notes=tuple(notes), unknowns=tuple(collected.unknowns))

    evaluation = PolicyEvaluation(collected.statements)
    admin = evaluation.full_admin()
    if admin is not None:
        capabilities.append(Capability(Action.ADMIN, "*:* (AdministratorAccess)", (account_resource,),
                                       certain=not admin.conditional))
        notes.append(f"{admin.source} allows every action on every resource in account {account}: "
                     "deleting databases, buckets and instances, and creating new keys.")
    else:
        for operation, entry in evaluation.evaluate().items():
            resources = tuple(resource_from_arn(r, account, account_env) for r in entry.resources)
            certain = all(entry.resources.values())
            capabilities.append(Capability(entry.action, operation, resources, certain))
        for capability in capabilities:
            if capability.action in (Action.DELETE, Action.ADMIN):
                targets = ", ".join(r.describe() for r in capability.resources)
                notes.append(f"Policies allow {capability.operation} on {targets}.")
        notes.extend(evaluation.notes)
    if collected.documents_read:
        notes.append("Evaluated statically from the key's own IAM policies; permission boundaries, "
                     "organization SCPs and resource policies are not visible and may narrow or widen this.")
    elif not collected.unknowns and principal.kind in ("user", "assumed-role"):
        notes.append(f"No IAM policies are attached to {principal.kind} {principal.name}.")
    if collected.unknowns and not capabilities:
        collected.unknowns.append("what this key can change or delete could not be read without "
                                  "IAM read permission; not probed")
    resources = _unique(r for c in capabilities for r in c.resources)
    return BlastRadius(identity=principal.arn, token_type=token_type, scopes=tuple(collected.scopes),
                       resources=resources, capabilities=tuple(capabilities),
                       notes=tuple(collected.notes + notes), unknowns=tuple(collected.unknowns))


def _unique(items: Iterable[Resource]) -> tuple[Resource, ...]:
    seen: dict[Resource, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


PROVIDER = AwsProvider()
