"""AWS provider against a real moto server (auth on), seen through a recording reverse proxy.

moto facts these tests depend on (see credreach/fakes/aws_moto.py and providers.md section 4.5): with auth
off moto answers any key, even an unknown one, with a fallback identity, so the module switches auth
on after building the account; from then on moto checks SigV4 and evaluates IAM policies like AWS
(403 InvalidClientTokenId / SignatureDoesNotMatch / AccessDenied).

The few error shapes moto cannot produce (ExpiredToken, Throttling, 5xx) come from a small fake STS
that answers the documented Query-protocol error body
(https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from credreach.fakes._server import FakeProvider, FakeResponse, RecordedRequest, assert_read_only
from credreach.fakes.aws_moto import MotoServer, RecordingProxy
from credreach.fakes.aws_world import PROD_DB_ARN, AwsKey, AwsWorld, populate_aws_world
from providers._aws_policy import PolicyEvaluation, parse_statements, resource_from_arn
from providers._sigv4 import encode_form, sign_query_post
from providers.aws import CANARY_ACCOUNTS, PROVIDER, account_from_key_id
from providers.base import HttpSettings, Introspection, ProviderContext, ReadOnlyHttp
from providers.guard import AWS_READ_ACTIONS
from providers.registry import provider_for_kind
from scanner.model import Action, EnvClass, VerificationStatus
from scanner.redact import REDACTOR
from tests.helpers import context_for, make_credential


@pytest.fixture(scope="module")
def moto() -> Iterator[tuple[MotoServer, AwsWorld]]:
    server = MotoServer().start()
    try:
        world = populate_aws_world(server.url)
        server.enable_auth()
        yield server, world
    finally:
        server.stop()


@pytest.fixture()
def proxy(moto: tuple[MotoServer, AwsWorld]) -> Iterator[RecordingProxy]:
    recorder = RecordingProxy(moto[0].url)
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


def check(key: AwsKey, ctx: ProviderContext, **extra: str) -> Introspection:
    companions = {**key.companions(), **extra}
    for value in (key.access_key_id, key.secret_access_key, key.session_token):
        if value:
            REDACTOR.register(value)
    return PROVIDER.introspect(make_credential("aws", "aws_access_key", key.access_key_id, companions), ctx)


def assert_only_reads(proxy: RecordingProxy) -> None:
    assert_read_only(proxy.requests)
    assert all(r.method == "POST" and r.path == "/" for r in proxy.requests)
    assert set(proxy.actions()) <= AWS_READ_ACTIONS, proxy.actions()


def no_secret_in(result: Introspection, key: AwsKey) -> None:
    text = repr(result)
    assert key.secret_access_key not in text
    if key.session_token:
        assert key.session_token not in text


def key_for_account(account: str, prefix: str = "AKIA") -> str:
    """A syntactically valid key ID that encodes ``account`` (inverse of the offline decode)."""
    value = (int(account) << 7) | 0x800000000000
    raw = value.to_bytes(6, "big") + b"\x12\x34\x56\x78"
    return prefix + base64.b32encode(raw).decode()


# --- the provider against moto -----------------------------------------------------------------

def test_registered_for_the_aws_kind() -> None:
    assert provider_for_kind("aws_access_key") is PROVIDER
    assert PROVIDER.name == "aws"
    assert PROVIDER.default_base_url == "https://sts.amazonaws.com"
    assert PROVIDER.other_default_urls == ("https://iam.amazonaws.com",)


def test_moto_keys_encode_the_account_offline(moto: tuple[MotoServer, AwsWorld]) -> None:
    _, world = moto
    assert account_from_key_id(world.keys["admin"].access_key_id) == world.account_id
    assert account_from_key_id("AKIAIOSFODNN7EXAMPLE") is None  # pre-2019 key: no account encoded


def test_admin_user_is_admin(moto: tuple[MotoServer, AwsWorld], proxy: RecordingProxy) -> None:
    _, world = moto
    key = world.keys["admin"]
    result = check(key, context_for(proxy.url))
    assert result.verification.status is VerificationStatus.LIVE
    assert result.verification.endpoint == proxy.url
    blast = result.blast_radius
    assert blast.identity == "arn:aws:iam::123456789012:user/admin"
    admin = [c for c in blast.capabilities if c.action is Action.ADMIN]
    assert len(admin) == 1 and admin[0].certain
    assert "AdministratorAccess" in admin[0].operation
    assert admin[0].resources[0].name == "all resources in account 123456789012"
    assert admin[0].resources[0].env_class is EnvClass.UNKNOWN
    assert "managed policy AdministratorAccess" in blast.scopes
    assert proxy.actions()[0] == "GetCallerIdentity"
    assert {"ListAttachedUserPolicies", "GetPolicy", "GetPolicyVersion"} <= set(proxy.actions())
    assert_only_reads(proxy)
    no_secret_in(result, key)


def test_inline_rds_delete_reaches_production_db(moto: tuple[MotoServer, AwsWorld],
                                                 proxy: RecordingProxy) -> None:
    _, world = moto
    result = check(world.keys["prod-dba"], context_for(proxy.url))
    assert result.verification.status is VerificationStatus.LIVE
    caps = {c.operation: c for c in result.blast_radius.capabilities}
    delete = caps["rds:DeleteDBInstance"]
    assert delete.action is Action.DELETE and delete.certain
    assert [(r.kind, r.name, r.env_class) for r in delete.resources] == [("rds db", "prod-db",
                                                                           EnvClass.PRODUCTION)]
    assert caps["rds:DescribeDBInstances"].action is Action.READ
    assert not any(c.action is Action.ADMIN for c in result.blast_radius.capabilities)
    assert any("rds:DeleteDBInstance" in note for note in result.blast_radius.notes)
    assert {"ListUserPolicies", "GetUserPolicy"} <= set(proxy.actions())
    assert_only_reads(proxy)


def test_read_only_user_only_reads(moto: tuple[MotoServer, AwsWorld], proxy: RecordingProxy) -> None:
    _, world = moto
    result = check(world.keys["auditor"], context_for(proxy.url))
    assert result.verification.status is VerificationStatus.LIVE
    caps = result.blast_radius.capabilities
    assert caps, "ReadOnlyAccess grants reads"
    assert {c.action for c in caps} == {Action.READ}
    assert "managed policy ReadOnlyAccess" in result.blast_radius.scopes
    assert_only_reads(proxy)


def test_group_policy_delete_on_staging_bucket(moto: tuple[MotoServer, AwsWorld],
                                               proxy: RecordingProxy) -> None:
    _, world = moto
    result = check(world.keys["deployer"], context_for(proxy.url))
    caps = {c.operation: c for c in result.blast_radius.capabilities}
    delete = caps["s3:DeleteObject"]
    assert delete.action is Action.DELETE
    assert [(r.kind, r.name, r.env_class) for r in delete.resources] == [
        ("s3 object", "staging-assets/*", EnvClass.STAGING)]
    assert caps["s3:PutObject"].action is Action.WRITE
    assert "inline policy assets (via group deployers)" in result.blast_radius.scopes
    assert {"ListGroupsForUser", "ListGroupPolicies", "GetGroupPolicy"} <= set(proxy.actions())
    assert_only_reads(proxy)


def test_explicit_deny_overrides_wildcard_allow(moto: tuple[MotoServer, AwsWorld],
                                                proxy: RecordingProxy) -> None:
    _, world = moto
    result = check(world.keys["rds-no-delete"], context_for(proxy.url))
    caps = {c.operation: c for c in result.blast_radius.capabilities}
    assert not any(c.action is Action.DELETE for c in caps.values())
    assert caps["rds:ModifyDBInstance"].action is Action.WRITE
    assert any("Deny removes" in n and "rds:DeleteDBInstance" in n for n in result.blast_radius.notes)
    assert_only_reads(proxy)


def test_denied_iam_reads_are_unknowns_but_key_is_live(moto: tuple[MotoServer, AwsWorld],
                                                       proxy: RecordingProxy) -> None:
    _, world = moto
    result = check(world.keys["limited"], context_for(proxy.url))
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.identity == "arn:aws:iam::123456789012:user/limited"
    assert result.blast_radius.capabilities == ()
    unknowns = " ".join(result.blast_radius.unknowns)
    assert "iam:ListUserPolicies" in unknowns and "AccessDenied" in unknowns
    assert_only_reads(proxy)


def test_assumed_role_session_reads_role_policies(moto: tuple[MotoServer, AwsWorld],
                                                  proxy: RecordingProxy) -> None:
    _, world = moto
    key = world.keys["role-session"]
    assert key.access_key_id.startswith("ASIA")
    result = check(key, context_for(proxy.url))
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.identity == "arn:aws:sts::123456789012:assumed-role/prod-admin/ci-deploy"
    assert result.blast_radius.token_type == "temporary STS session key"
    assert any(c.action is Action.ADMIN for c in result.blast_radius.capabilities)
    assert {"GetRole", "ListAttachedRolePolicies", "ListRolePolicies"} <= set(proxy.actions())
    assert all(r.header("X-Amz-Security-Token") for r in proxy.requests)
    assert_only_reads(proxy)
    no_secret_in(result, key)


def test_deleted_key_is_invalid(moto: tuple[MotoServer, AwsWorld], proxy: RecordingProxy) -> None:
    _, world = moto
    result = check(world.keys["deleted"], context_for(proxy.url))
    assert result.verification.status is VerificationStatus.INVALID
    assert "InvalidClientTokenId" in result.verification.reason
    assert proxy.actions() == ["GetCallerIdentity"]
    assert_only_reads(proxy)


def test_wrong_secret_is_invalid(moto: tuple[MotoServer, AwsWorld], proxy: RecordingProxy) -> None:
    _, world = moto
    real = world.keys["admin"]
    wrong = AwsKey(real.access_key_id, "x" * 40)
    result = check(wrong, context_for(proxy.url))
    assert result.verification.status is VerificationStatus.INVALID
    assert "SignatureDoesNotMatch" in result.verification.reason
    assert_only_reads(proxy)


def test_canary_key_is_never_sent(proxy: RecordingProxy) -> None:
    account = "052310077262"
    assert account in CANARY_ACCOUNTS
    key_id = key_for_account(account)
    assert account_from_key_id(key_id) == account
    ctx = context_for(proxy.url)
    result = check(AwsKey(key_id, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"), ctx)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert result.verification.reason.startswith("canary token")
    assert key_id not in result.verification.reason
    assert proxy.requests == [] and ctx.http.sent == []


def test_missing_secret_key_is_unverifiable_without_a_request(moto: tuple[MotoServer, AwsWorld],
                                                              proxy: RecordingProxy) -> None:
    _, world = moto
    ctx = context_for(proxy.url)
    credential = make_credential("aws", "aws_access_key", world.keys["admin"].access_key_id, {})
    result = PROVIDER.introspect(credential, ctx)
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert result.verification.reason == "secret access key not found next to the key id"
    assert proxy.requests == []


def test_session_key_without_token_is_not_called_invalid(moto: tuple[MotoServer, AwsWorld],
                                                         proxy: RecordingProxy) -> None:
    _, world = moto
    session = world.keys["role-session"]
    result = check(AwsKey(session.access_key_id, session.secret_access_key), context_for(proxy.url))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "session token" in result.verification.reason
    assert proxy.requests == []


def test_moto_without_auth_accepts_unknown_keys(moto: tuple[MotoServer, AwsWorld],
                                                proxy: RecordingProxy) -> None:
    """Why the module turns moto auth on: with auth off an unknown key looks live."""
    server, _ = moto
    server.disable_auth()
    try:
        result = check(AwsKey(key_for_account("123456789012"), "y" * 40), context_for(proxy.url))
    finally:
        server.enable_auth()
    assert result.verification.status is VerificationStatus.LIVE
    assert result.blast_radius.identity == "arn:aws:sts::123456789012:user/moto"
    assert_only_reads(proxy)


# --- answers moto cannot give: documented error bodies from a fake STS ---------------------------

class StsErrors(FakeProvider):
    """Answers every Query request with one documented AWS error (``<ErrorResponse><Error>``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__()
        self.answer = (status, code, message)

    def handle(self, request: RecordedRequest) -> FakeResponse:
        status, code, message = self.answer
        body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                "<RequestId>4f1e2c3d-0000-4000-8000-000000000000</RequestId></ErrorResponse>")
        return FakeResponse(status, raw=body.encode(), headers={"Content-Type": "text/xml"})


@pytest.mark.parametrize(("status", "code", "message", "expected", "words"), [
    (403, "ExpiredToken", "The security token included in the request is expired",
     VerificationStatus.INVALID, "expired session"),
    (403, "InvalidClientTokenId", "The security token included in the request is invalid.",
     VerificationStatus.INVALID, "InvalidClientTokenId"),
    (400, "Throttling", "Rate exceeded", VerificationStatus.UNVERIFIABLE, "throttled"),
    (500, "InternalFailure", "We encountered an internal error.", VerificationStatus.UNVERIFIABLE, "failed"),
    (503, "ServiceUnavailable", "Service unavailable", VerificationStatus.UNVERIFIABLE, "throttled"),
])
def test_error_answers(status: int, code: str, message: str, expected: VerificationStatus, words: str) -> None:
    key = AwsKey(key_for_account("210987654321", "ASIA"), "z" * 40, "FwoGZXIvYXdzEXAMPLEsessiontoken" * 4)
    with StsErrors(status, code, message) as fake:
        result = check(key, context_for(fake.url, retries=1))
        assert result.verification.status is expected
        assert words in result.verification.reason
        assert_read_only(fake.requests)
        assert [r.form()["Action"] for r in fake.requests][0] == "GetCallerIdentity"
        no_secret_in(result, key)


class StsIdentity(FakeProvider):
    """Answers GetCallerIdentity with the documented success body (API_GetCallerIdentity.html)."""

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.form().get("Action") != "GetCallerIdentity":
            return FakeResponse(400, raw=b"<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>")
        body = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<GetCallerIdentityResult><UserId>AIDASAMPLEUSERID</UserId><Account>210987654321</Account>"
                "<Arn>arn:aws:iam::210987654321:user/ci</Arn></GetCallerIdentityResult>"
                "<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>"
                "</ResponseMetadata></GetCallerIdentityResponse>")
        return FakeResponse(200, raw=body.encode(), headers={"Content-Type": "text/xml"})


def test_iam_host_not_granted_keeps_key_live_without_sending_it_elsewhere() -> None:
    """With default endpoints the IAM host must be one of AWS's own; otherwise nothing goes there."""
    key = AwsKey(key_for_account("210987654321"), "z" * 40)
    with StsIdentity() as fake:
        http = ReadOnlyHttp(fake.url, HttpSettings(timeout=5, retries=0))
        ctx = ProviderContext(http=http, endpoint_overridden=False, other_default_urls=())
        result = check(key, ctx)
        assert result.verification.status is VerificationStatus.LIVE
        assert result.blast_radius.identity == "arn:aws:iam::210987654321:user/ci"
        assert any("IAM policies not read" in u for u in result.blast_radius.unknowns)
        assert [r.form()["Action"] for r in fake.requests] == ["GetCallerIdentity"]
        assert [url for _, url in http.sent] == [fake.url + "/"]
        assert_read_only(fake.requests)


def test_unreachable_endpoint_is_unverifiable() -> None:
    with StsErrors(500, "x", "y") as fake:
        url = fake.url
    result = check(AwsKey(key_for_account("210987654321"), "z" * 40), context_for(url, timeout=2))
    assert result.verification.status is VerificationStatus.UNVERIFIABLE
    assert "cannot connect" in result.verification.reason


# --- signing and static evaluation ------------------------------------------------------------

def test_sigv4_matches_botocore() -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    form = {"Action": "ListUserPolicies", "Version": "2010-05-08", "UserName": "prod dba+1"}
    ours = sign_query_post(base_url="http://127.0.0.1:4566", form=form, access_key_id="AKIAEXAMPLEKEY000001",
                           secret_access_key="s3cr3t/key", session_token="tok", region="us-east-1",
                           service="iam", now=moment)
    request = AWSRequest("POST", "http://127.0.0.1:4566/", data=encode_form(form),
                         headers={"Content-Type": ours["Content-Type"]})
    signer = SigV4Auth(Credentials("AKIAEXAMPLEKEY000001", "s3cr3t/key", "tok"), "iam", "us-east-1")
    request.context["timestamp"] = moment.strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(request)  # date and token headers, as botocore sends them
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    assert ours["Authorization"].endswith(f"Signature={expected}")
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token" in ours["Authorization"]


def _evaluate(*statements: dict[str, object]) -> dict[str, tuple[Action, dict[str, bool]]]:
    evaluation = PolicyEvaluation(parse_statements({"Statement": list(statements)}, "test policy"))
    return {op: (found.action, found.resources) for op, found in evaluation.evaluate().items()}


def test_not_action_grants_are_uncertain() -> None:
    found = _evaluate({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                       "Resource": "*"})
    assert found["rds:DeleteDBCluster"] == (Action.DELETE, {"*": False})
    assert "iam:CreateAccessKey" not in found


def test_wildcard_verbs_conditions_and_resource_specific_denies() -> None:
    found = _evaluate(
        {"Effect": "Allow", "Action": ["rds:Delete*", "s3:*"],
         "Resource": [PROD_DB_ARN, "arn:aws:s3:::dev-bucket", "arn:aws:s3:::prod-logs"]},
        {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}}},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::prod-*"},
        {"Effect": "Allow", "Action": "ec2:DeleteVpc", "Resource": "*"},
    )
    assert found["rds:DeleteDBInstance"] == (Action.DELETE, {PROD_DB_ARN: True})
    assert found["s3:DeleteBucket"] == (Action.DELETE, {"arn:aws:s3:::dev-bucket": True})
    assert found["ec2:TerminateInstances"] == (Action.DELETE, {"*": False})
    assert found["ec2:DeleteVpc"] == (Action.DELETE, {"*": True})  # destructive verb outside the catalog
    assert "rds:DeleteDBInstance" in found and PROD_DB_ARN not in found["s3:DeleteBucket"][1]


def test_resources_get_environment_classes() -> None:
    account_env = (None, EnvClass.UNKNOWN)
    assert resource_from_arn(PROD_DB_ARN, "123456789012", account_env).env_class is EnvClass.PRODUCTION
    everything = resource_from_arn("*", "123456789012", ("acme-prod", EnvClass.PRODUCTION))
    assert (everything.name, everything.env_class) == ("all resources in account 123456789012",
                                                       EnvClass.PRODUCTION)
    table = resource_from_arn("arn:aws:dynamodb:us-east-1:123456789012:table/dev-orders", "123456789012",
                              account_env)
    assert (table.kind, table.name, table.env_class) == ("dynamodb table", "dev-orders", EnvClass.DEVELOPMENT)
