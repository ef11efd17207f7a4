"""Static evaluation of IAM identity policies: which dangerous actions reach which resources.

Why static: moto does not implement ``iam:SimulatePrincipalPolicy``, and on real AWS the simulator
needs a permission of its own, while a key that can read its own policies can always be evaluated
here. Rules follow the IAM evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins over any Allow; ``*``/``?`` wildcards in Action and Resource; ``NotAction``,
``NotResource`` and ``Condition`` make a grant uncertain (``certain=False``) rather than dropping it.
Permission boundaries, SCPs, session policies and resource policies are invisible to the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from providers.base import classify_environment
from scanner.model import Action, EnvClass, Resource

# --- policy documents -------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditional: bool
    source: str

    def matches(self, action: str) -> bool:
        hit = any(_wildcard(p).match(action) for p in self.actions)
        return hit != self.not_action

    def covers_resource(self, resource: str) -> bool:
        """Whether this statement's Resource patterns include ``resource`` (a literal ARN or ``*``)."""
        hit = any(_wildcard(p).match(resource) for p in self.resources)
        return hit != self.not_resource


@lru_cache(maxsize=4096)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM wildcard: ``*`` any run, ``?`` one character; action names are case-insensitive."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def decode_document(raw: str) -> Any:
    """Policy JSON as returned by IAM: URL-encoded on real AWS (and moto's inline policies), plain
    JSON from moto's GetPolicyVersion. A plain document starts with ``{``; an encoded one with ``%7B``."""
    text = raw.strip()
    if not text.startswith("{"):
        text = unquote(text)
    return json.loads(text)


def parse_statements(document: Any, source: str) -> list[Statement]:
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement")
    items = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    out: list[Statement] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        effect = item.get("Effect")
        if effect not in ("Allow", "Deny"):
            continue
        not_action = "NotAction" in item
        not_resource = "NotResource" in item
        actions = _strings(item.get("NotAction") if not_action else item.get("Action"))
        resources = _strings(item.get("NotResource") if not_resource else item.get("Resource", "*"))
        out.append(Statement(effect, actions, not_action, resources or ("*",), not_resource,
                             bool(item.get("Condition")), source))
    return out


# --- what to look for -------------------------------------------------------------------------

# Representative actions per capability class. DELETE/ADMIN/BILLING ones are what makes a key
# dangerous; the privilege-escalation IAM actions count as ADMIN because they let the key grant
# itself anything.
CATALOG: tuple[tuple[str, Action], ...] = (
    *((a, Action.DELETE) for a in (
        "rds:DeleteDBInstance", "rds:DeleteDBCluster", "rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot",
        "s3:DeleteBucket", "s3:DeleteObject", "s3:DeleteObjectVersion", "ec2:TerminateInstances",
        "ec2:DeleteVolume", "ec2:DeleteSnapshot", "dynamodb:DeleteTable", "dynamodb:DeleteBackup",
        "lambda:DeleteFunction", "kms:ScheduleKeyDeletion", "backup:DeleteRecoveryPoint",
        "backup:DeleteBackupVault", "secretsmanager:DeleteSecret", "cloudformation:DeleteStack",
        "eks:DeleteCluster", "ecr:DeleteRepository", "route53:DeleteHostedZone", "logs:DeleteLogGroup",
        "elasticache:DeleteCacheCluster", "sqs:DeleteQueue", "sns:DeleteTopic", "efs:DeleteFileSystem",
    )),
    *((a, Action.ADMIN) for a in (
        "iam:CreateAccessKey", "iam:CreateUser", "iam:AttachUserPolicy", "iam:PutUserPolicy",
        "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy",
        "iam:PassRole", "organizations:LeaveOrganization", "account:CloseAccount",
    )),
    *((a, Action.BILLING) for a in ("aws-portal:ModifyBilling", "aws-portal:ModifyPaymentMethods")),
    *((a, Action.WRITE) for a in (
        "s3:PutObject", "s3:PutBucketPolicy", "rds:ModifyDBInstance", "ec2:RunInstances",
        "ec2:AuthorizeSecurityGroupIngress", "lambda:UpdateFunctionCode", "dynamodb:PutItem",
        "secretsmanager:PutSecretValue", "ssm:PutParameter", "sqs:SendMessage", "sns:Publish",
        "cloudformation:UpdateStack", "ecr:PutImage", "kms:Encrypt",
    )),
    *((a, Action.READ) for a in (
        "s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetObject", "rds:DescribeDBInstances",
        "ec2:DescribeInstances", "dynamodb:Scan", "dynamodb:GetItem", "secretsmanager:GetSecretValue",
        "ssm:GetParameter", "lambda:GetFunction", "logs:GetLogEvents", "kms:Decrypt", "iam:ListUsers",
        "iam:GetUser",
    )),
)
_CATALOG_SERVICES = frozenset(a.split(":", 1)[0].lower() for a, _ in CATALOG)
_DELETE_VERBS = re.compile(r"^(Delete|Terminate|Remove|Destroy|Purge|Drop|Deregister|ScheduleKeyDeletion)",
                           re.IGNORECASE)


def _service(action: str) -> str:
    return action.split(":", 1)[0].lower()


@dataclass
class _Found:
    action: Action
    resources: dict[str, bool] = field(default_factory=dict)
    """Resource pattern -> certain."""


class PolicyEvaluation:
    """Static evaluation of the principal's identity policies (explicit Deny wins over Allow)."""

    def __init__(self, statements: Sequence[Statement]) -> None:
        self.allows = [s for s in statements if s.effect == "Allow"]
        self.denies = [s for s in statements if s.effect == "Deny"]
        self._denied_actions: dict[str, list[str]] = {}

    def _denied(self, action: str, resource: str) -> tuple[bool, bool]:
        """(surely denied, possibly denied) for ``action`` on the Allow's ``resource`` pattern.

        A Deny that names only some resources leaves an Allow on ``*`` standing for the rest.
        """
        sure = possible = False
        for deny in self.denies:
            if not deny.matches(action):
                continue
            if resource == "*":
                covers = not deny.not_resource and "*" in deny.resources
            else:
                covers = deny.covers_resource(resource)
            if covers and not deny.conditional:
                sure = True
            elif covers:
                possible = True
        return sure, possible

    def full_admin(self) -> Statement | None:
        """An Allow of every action on every resource, not cancelled by a blanket Deny."""
        for stmt in self.allows:
            if stmt.not_action or stmt.not_resource:
                continue
            if any(p in ("*", "*:*") for p in stmt.actions) and "*" in stmt.resources:
                admin_actions = [a for a, kind in CATALOG if kind is Action.ADMIN]
                if any(not self._denied(a, "*")[0] for a in admin_actions):
                    return stmt
        return None

    def evaluate(self) -> dict[str, _Found]:
        found: dict[str, _Found] = {}
        for action, kind in CATALOG:
            for stmt in self.allows:
                if not stmt.matches(action):
                    continue
                targets = ("*",) if stmt.not_resource else stmt.resources
                for resource in targets:
                    if not _resource_fits(action, resource):
                        continue
                    sure, possible = self._denied(action, resource)
                    if sure:
                        self._note_deny(action, resource)
                        continue
                    certain = not (stmt.conditional or stmt.not_action or stmt.not_resource or possible)
                    entry = found.setdefault(action, _Found(kind))
                    entry.resources[resource] = entry.resources.get(resource, False) or certain
        self._explicit_deletes(found)
        return found

    def _explicit_deletes(self, found: dict[str, _Found]) -> None:
        """Destructive actions named in Allow statements that the catalog does not cover."""
        catalog_actions = [a for a, _ in CATALOG]
        for stmt in self.allows:
            if stmt.not_action:
                continue
            for pattern in stmt.actions:
                if ":" not in pattern or pattern in found:
                    continue
                service, verb = pattern.split(":", 1)
                if any(_wildcard(pattern).match(a) for a in catalog_actions):
                    continue  # already evaluated through the catalog
                wildcard_service = verb == "*" and service.lower() not in _CATALOG_SERVICES
                if not (_DELETE_VERBS.match(verb) or wildcard_service):
                    continue
                for resource in ("*",) if stmt.not_resource else stmt.resources:
                    if not _resource_fits(pattern, resource) or self._denied(pattern, resource)[0]:
                        continue
                    entry = found.setdefault(pattern, _Found(Action.DELETE))
                    certain = not (stmt.conditional or stmt.not_resource or wildcard_service)
                    entry.resources[resource] = entry.resources.get(resource, False) or certain

    def _note_deny(self, action: str, resource: str) -> None:
        actions = self._denied_actions.setdefault("any resource" if resource == "*" else resource, [])
        if action not in actions:
            actions.append(action)

    @property
    def notes(self) -> list[str]:
        return [f"An explicit Deny removes {', '.join(actions)} on {where}."
                for where, actions in self._denied_actions.items()]


def _resource_fits(action: str, resource: str) -> bool:
    """A Resource ARN of another service does not apply to this action (multi-service statements)."""
    if not resource.startswith("arn:"):
        return True
    parts = resource.split(":", 5)
    if len(parts) < 3 or parts[2] in ("*", ""):
        return True
    service = _service(action)
    return "*" in service or _wildcard(parts[2]).match(service) is not None


def resource_from_arn(pattern: str, account: str, account_env: tuple[str | None, EnvClass]) -> Resource:
    """A :class:`Resource` for a policy Resource entry; ``*`` is the whole account."""
    environment, env_class = account_env
    if pattern == "*" or not pattern.startswith("arn:"):
        return Resource("aws-account", f"all resources in account {account}", environment, env_class)
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return Resource("aws-resource", pattern, None, classify_environment(pattern))
    service, rest = parts[2], parts[5]
    if service == "s3":
        kind, name = ("s3 object", rest) if "/" in rest else ("s3 bucket", rest)
    else:
        sep = min((i for i in (rest.find(":"), rest.find("/")) if i >= 0), default=-1)
        kind, name = (f"{service} {rest[:sep]}", rest[sep + 1:]) if sep > 0 else (f"{service} resource", rest)
    if name in ("*", ""):
        owner = parts[4] or account
        return Resource(kind, f"all {kind} resources in account {owner}", environment, env_class)
    env = classify_environment(name)
    if env is EnvClass.UNKNOWN and env_class is not EnvClass.UNKNOWN:
        return Resource(kind, name, environment, env_class, parent=f"account {account}")
    return Resource(kind, name, None, env, parent=f"account {account}")
