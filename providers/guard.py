"""The read-only guard: decides, before anything is sent, whether a request may leave the machine.

Allowlist, not denylist: GET and HEAD pass; a POST passes only when it is one of the documented
reads below and its body proves it. Everything else raises :class:`MutationRefused`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit


class MutationRefused(RuntimeError):
    """Raised instead of sending a request that could change something at the provider."""


class ReadOnlyPost(str, enum.Enum):
    """The only kinds of POST credreach may send, each a documented read."""

    GRAPHQL_QUERY = "graphql-query"
    AWS_QUERY_READ = "aws-query-read"
    SLACK_AUTH_TEST = "slack-auth-test"
    KUBERNETES_SELF_SUBJECT_REVIEW = "kubernetes-self-subject-review"
    GCP_TEST_IAM_PERMISSIONS = "gcp-test-iam-permissions"
    GCP_TOKEN_EXCHANGE = "gcp-token-exchange"


READ_METHODS = frozenset({"GET", "HEAD"})

# AWS Query-protocol actions that only read. Exact names: a prefix rule would admit e.g.
# ``GetSessionToken`` (creates credentials) or ``GenerateCredentialReport``.
AWS_READ_ACTIONS = frozenset({
    "GetCallerIdentity", "GetAccessKeyInfo",
    "GetUser", "GetRole", "GetGroup", "GetPolicy", "GetPolicyVersion",
    "GetUserPolicy", "GetRolePolicy", "GetGroupPolicy",
    "ListAttachedUserPolicies", "ListUserPolicies", "ListGroupsForUser",
    "ListAttachedGroupPolicies", "ListGroupPolicies",
    "ListAttachedRolePolicies", "ListRolePolicies",
    "ListAccountAliases", "SimulatePrincipalPolicy", "GetAccountAuthorizationDetails",
})

_K8S_REVIEW_PATH = re.compile(
    r"^/apis/authorization\.k8s\.io/v1/selfsubject(rulesreviews|accessreviews)$"
    r"|^/apis/authentication\.k8s\.io/v1(beta1)?/selfsubjectreviews$"
)


def graphql_operation_types(document: str) -> list[str]:
    """Return the operation types defined at the top level of a GraphQL document.

    A small lexer rather than a full parser: it skips comments and strings, tracks brace depth
    and reports each top-level definition keyword (an anonymous ``{ ... }`` is a query).
    """
    ops: list[str] = []
    depth = 0
    i = 0
    n = len(document)
    expecting_definition = True
    while i < n:
        ch = document[i]
        if ch == "#":
            while i < n and document[i] not in "\r\n":
                i += 1
            continue
        if document.startswith('"""', i):
            end = document.find('"""', i + 3)
            while end > 0 and document[end - 1] == "\\":  # \""" is an escaped quote, not the end
                end = document.find('"""', end + 3)
            if end < 0:  # unterminated: refuse rather than guess what the rest means
                ops.append("<unterminated block string>")
                break
            i = end + 3
            continue
        if ch == '"':
            i += 1
            while i < n and document[i] not in '"\r\n':
                i += 2 if document[i] == "\\" else 1
            if i >= n or document[i] != '"':
                ops.append("<unterminated string>")
                break
            i += 1
            continue
        if ch in "{(":
            if depth == 0 and ch == "{" and expecting_definition:
                ops.append("query")
            if ch == "{":
                depth += 1
            else:
                depth += 100  # arguments/variables: never top-level definitions inside
            expecting_definition = False
            i += 1
            continue
        if ch in "})":
            depth -= 1 if ch == "}" else 100
            if depth < 0:  # more closing than opening: not a document a server would read as we do
                ops.append("<unbalanced>")
                break
            if depth == 0 and ch == "}":  # a closing `)` is still inside the operation's header
                expecting_definition = True
            i += 1
            continue
        if depth == 0 and (ch.isalpha() or ch == "_"):
            j = i
            while j < n and (document[j].isalnum() or document[j] == "_"):
                j += 1
            word = document[i:j]
            if expecting_definition:
                ops.append(word)
                expecting_definition = False
            i = j
            continue
        i += 1
    if depth > 0 and not any(op.startswith("<") for op in ops):
        ops.append("<unbalanced>")
    return ops


def check_graphql(document: str) -> None:
    ops = graphql_operation_types(document)
    if not ops:
        raise MutationRefused("GraphQL document has no operation")
    for op in ops:
        if op not in ("query", "fragment"):
            raise MutationRefused(f"GraphQL operation `{op}` refused: only queries are sent")


def check_request(
    method: str,
    url: str,
    *,
    post_kind: ReadOnlyPost | None = None,
    json_body: object = None,
    form: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`MutationRefused` unless the request is provably read-only."""
    method = method.upper()
    if method in READ_METHODS:
        return
    if method != "POST" or post_kind is None:
        raise MutationRefused(f"{method} refused: credreach only reads")
    path = urlsplit(url).path
    if post_kind is ReadOnlyPost.GRAPHQL_QUERY:
        if not isinstance(json_body, Mapping) or not isinstance(json_body.get("query"), str):
            raise MutationRefused("GraphQL POST without a query document")
        check_graphql(json_body["query"])
        return
    if post_kind is ReadOnlyPost.AWS_QUERY_READ:
        action = (form or {}).get("Action")
        if action not in AWS_READ_ACTIONS:
            raise MutationRefused(f"AWS action {action!r} is not on the read-only allow-list")
        return
    if post_kind is ReadOnlyPost.SLACK_AUTH_TEST:
        if not path.endswith("/auth.test"):
            raise MutationRefused("only Slack auth.test may be POSTed")
        return
    if post_kind is ReadOnlyPost.KUBERNETES_SELF_SUBJECT_REVIEW:
        if not _K8S_REVIEW_PATH.match(path):
            raise MutationRefused("only Kubernetes SelfSubject*Review objects may be POSTed")
        return
    if post_kind is ReadOnlyPost.GCP_TEST_IAM_PERMISSIONS:
        if not path.endswith(":testIamPermissions"):
            raise MutationRefused("only GCP testIamPermissions may be POSTed")
        return
    if post_kind is ReadOnlyPost.GCP_TOKEN_EXCHANGE:
        grant = parse_qs(urlsplit(url).query).get("grant_type") or [(form or {}).get("grant_type", "")]
        if not path.endswith("/token") or "jwt-bearer" not in grant[0]:
            raise MutationRefused("only the service-account JWT bearer exchange may be POSTed")
        return
    raise MutationRefused(f"POST kind {post_kind!r} refused")
