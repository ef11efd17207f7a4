"""Exactly which HTTP calls each provider may make: the allow-list behind :class:`ReadOnlyHttp`.

:mod:`providers.guard` decides whether a request *shape* is a read (GET/HEAD, or one of the
documented read-only POSTs whose body proves it). This module adds two things on top, both checked
in :meth:`providers.base.ReadOnlyHttp.request` before anything is sent:

1. generic refusals that hold for every request, whoever sends it: method-override headers
   (``X-HTTP-Method-Override``, ``X-HTTP-Method``, ``X-Method-Override``), a ``_method``
   parameter, a ``query=`` parameter that is a GraphQL mutation or subscription, an AWS-style
   ``Action=`` that is not on :data:`providers.guard.AWS_READ_ACTIONS` (parameter names in any
   case, in the URL, the query parameters or a form body), ``.``/``..`` path segments, and a Slack
   Web API method that is not on :data:`SLACK_READ_METHODS`;
2. a per-provider table, :data:`ALLOWED_CALLS`: provider name -> the (method, path pattern) pairs
   that provider's module calls. A path is taken relative to the client's base URL path (so
   ``--endpoint gitlab=https://git.example/api/v4`` matches the same patterns), and a pattern is
   literal except for ``*``, which stands for one or more characters within one path segment. A provider that
   is not in the table may call nothing: a new provider has to list its calls here, and a change
   that adds a call to an existing provider has to add it here too, next to review.

Which provider is calling is known from :data:`providers.base.ACTIVE_PROVIDER`, set for the
duration of every ``Provider.introspect``. A request made with no active provider (a
:class:`ReadOnlyHttp` used directly, as some tests do) gets the generic checks of both layers but
no path allow-list: there is no provider to look the path up for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from urllib.parse import parse_qsl, unquote, urlsplit

from providers.guard import AWS_READ_ACTIONS, MutationRefused, graphql_operation_types

METHOD_OVERRIDE_HEADERS = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})
METHOD_OVERRIDE_PARAMS = frozenset({"_method"})

SLACK_READ_METHODS = frozenset({"auth.test", "conversations.list", "users.info"})
"""Slack Web API methods credreach calls (https://api.slack.com/methods), exactly: a method name is
the last path segment, and Slack accepts GET for most methods, so a GET is no proof of a read."""

_SLACK_HOSTS = ("slack.com",)

Call = tuple[str, str]

_GET = "GET"
_POST = "POST"

# Every call each provider module makes, read from the module (and its pagination: next-page URLs
# are the same path with other query parameters, so they match the same entry). GET also admits
# HEAD: HEAD reads less than GET. A POST here still has to pass providers.guard (its body proves
# it is a read); this table only says *where* it may go.
ALLOWED_CALLS: Mapping[str, tuple[Call, ...]] = {
    "anthropic": (
        (_GET, "/v1/models"), (_GET, "/v1/messages/batches"), (_GET, "/v1/organizations/me"),
        (_GET, "/v1/organizations/workspaces"), (_GET, "/v1/organizations/users"),
        (_GET, "/v1/organizations/api_keys"),
    ),
    # STS and IAM Query API: POST / with a form whose Action is on AWS_READ_ACTIONS (sigv4-signed).
    "aws": ((_POST, "/"),),
    "cloudflare": (
        (_GET, "/user/tokens/verify"), (_GET, "/user/tokens/*"),
        (_GET, "/accounts/*/tokens/verify"), (_GET, "/accounts/*/tokens/*"),
        (_GET, "/zones"), (_GET, "/accounts"),
    ),
    "datadog": (
        (_GET, "/api/v1/validate"), (_GET, "/api/v2/current_user"),
        (_GET, "/api/v2/current_user/application_keys"),
    ),
    "digitalocean": (
        (_GET, "/v2/account"), (_GET, "/v2/droplets"), (_GET, "/v2/databases"), (_GET, "/v2/volumes"),
        (_GET, "/v2/kubernetes/clusters"), (_GET, "/v2/apps"), (_GET, "/v2/domains"), (_GET, "/v2/projects"),
        (_GET, "/v2/projects/*/resources"), (_GET, "/v2/snapshots"), (_GET, "/v2/firewalls"),
        (_GET, "/v2/load_balancers"), (_GET, "/v2/registry"), (_GET, "/v2/account/keys"),
        (_GET, "/v2/customers/my/balance"),
    ),
    # auth.docker.io /token, then Docker Hub's repository list.
    "docker": ((_GET, "/token"), (_GET, "/v2/repositories/*/")),
    "gcp": (
        (_POST, "/token"), (_GET, "/robot/v1/metadata/x509/*"), (_POST, "/v1/projects/*:testIamPermissions"),
    ),
    "github": (
        (_GET, "/user"), (_GET, "/user/repos"), (_GET, "/repos/*/*/collaborators"),
        (_GET, "/user/installations"), (_GET, "/user/installations/*/repositories"),
        (_GET, "/installation/repositories"), (_GET, "/user/memberships/orgs"), (_GET, "/user/orgs"),
    ),
    "gitlab": (
        (_GET, "/personal_access_tokens/self"), (_GET, "/user"), (_GET, "/groups"), (_GET, "/projects"),
        (_GET, "/projects/*/environments"), (_GET, "/projects/*/protected_branches"),
    ),
    "heroku": ((_GET, "/account"), (_GET, "/apps"), (_GET, "/pipeline-couplings")),
    "huggingface": (
        (_GET, "/api/whoami-v2"), (_GET, "/api/models"), (_GET, "/api/datasets"), (_GET, "/api/spaces"),
    ),
    "kubernetes": (
        (_POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews"),
        (_POST, "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews"),
        (_POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"),
        (_GET, "/api/v1/namespaces"),
    ),
    "linear": ((_POST, "/graphql"),),
    "npm": ((_GET, "/-/whoami"), (_GET, "/-/npm/v1/tokens"), (_GET, "/-/v1/search")),
    "openai": (
        (_GET, "/v1/models"), (_GET, "/v1/me"), (_GET, "/v1/files"), (_GET, "/v1/fine_tuning/jobs"),
        (_GET, "/v1/batches"), (_GET, "/v1/vector_stores"), (_GET, "/v1/organization/projects"),
        (_GET, "/v1/organization/users"),
    ),
    # PostgreSQL speaks its own protocol (see providers/postgres.py check_statement): no HTTP.
    "postgres": (),
    # GraphQL only; "/" when the endpoint given is the GraphQL URL itself.
    "railway": ((_POST, "/graphql/v2"), (_POST, "/")),
    "sendgrid": (
        (_GET, "/v3/scopes"), (_GET, "/v3/user/username"), (_GET, "/v3/user/profile"), (_GET, "/v3/user/account"),
    ),
    "sentry": ((_GET, "/api/0/"), (_GET, "/api/0/organizations/")),
    "slack": ((_POST, "/auth.test"), (_GET, "/conversations.list"), (_GET, "/users.info")),
    "stripe": (
        (_GET, "/v1/account"), (_GET, "/v1/balance"), (_GET, "/v1/charges"), (_GET, "/v1/customers"),
        (_GET, "/v1/payment_intents"), (_GET, "/v1/subscriptions"), (_GET, "/v1/products"),
        (_GET, "/v1/payouts"), (_GET, "/v1/refunds"), (_GET, "/v1/webhook_endpoints"),
    ),
    "supabase": ((_GET, "/v1/projects"), (_GET, "/v1/organizations")),
    "twilio": (
        (_GET, "/2010-04-01/Accounts.json"), (_GET, "/2010-04-01/Accounts/*/IncomingPhoneNumbers.json"),
        (_GET, "/v2/Services"),
    ),
    "vercel": (
        (_GET, "/v5/user/tokens/current"), (_GET, "/v2/user"), (_GET, "/v2/teams"), (_GET, "/v10/projects"),
    ),
}


class CallRefused(MutationRefused):
    """A request that is not on the calling provider's allow-list, or names a mutating action.

    A :class:`MutationRefused` (so every caller that handles the guard handles this), whose message
    names the method, the provider and the path pattern problem, never a header or parameter value.
    """


def _param_items(url: str, params: Mapping[str, str] | None, form: Mapping[str, str] | None,
                 ) -> list[tuple[str, str]]:
    items = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    items.extend((str(k), str(v)) for k, v in (params or {}).items())
    items.extend((str(k), str(v)) for k, v in (form or {}).items())
    return items


def check_generic(method: str, url: str, *, headers: Mapping[str, str] | None = None,
                  params: Mapping[str, str] | None = None, form: Mapping[str, str] | None = None) -> None:
    """Refusals that hold for every request, with or without an active provider."""
    method = method.upper()
    for name in headers or {}:
        if name.lower() in METHOD_OVERRIDE_HEADERS:
            raise CallRefused(f"{name} header refused: a method override could turn a read into a write")
    items = _param_items(url, params, form)
    for key, value in items:
        if key.lower() in METHOD_OVERRIDE_PARAMS:
            raise CallRefused(f"`{key}` parameter refused: a method override could turn a read into a write")
        if key.lower() == "action" and value not in AWS_READ_ACTIONS:
            raise CallRefused("AWS Action parameter is not on the read-only allow-list")
        if key.lower() == "query":
            ops = graphql_operation_types(value)
            if any(op in ("mutation", "subscription") for op in ops):
                raise CallRefused(f"GraphQL mutation or subscription in a {method} query parameter refused")
    parts = urlsplit(url)
    # `..` would let a `*` in a pattern climb out of it once the client normalises the path
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        raise CallRefused("dot segments in a request path refused")
    host = (parts.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in _SLACK_HOSTS):
        check_slack_method(parts.path)


def check_slack_method(path: str) -> None:
    method_name = path.rstrip("/").rsplit("/", 1)[-1]
    if method_name not in SLACK_READ_METHODS:
        raise CallRefused("Slack API method is not on the read-only allow-list")


def relative_path(url: str, base_url: str) -> str:
    """The URL's path relative to the base URL's path (the full path when it is not under it)."""
    path = urlsplit(url).path or "/"
    base = urlsplit(base_url).path.rstrip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):] or "/"
    return path


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in pattern.split("*")) + "$")


def is_allowed(provider: str, method: str, path: str) -> bool:
    method = method.upper()
    wanted = {"GET", "HEAD"} if method in ("GET", "HEAD") else {method}
    return any(m in wanted and _compiled(p).match(path) for m, p in ALLOWED_CALLS.get(provider, ()))


def check_call(provider: str | None, method: str, url: str, base_url: str, *,
               headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
               form: Mapping[str, str] | None = None) -> None:
    """Raise :class:`CallRefused` unless this request is one the calling provider may make."""
    check_generic(method, url, headers=headers, params=params, form=form)
    if provider is None:
        return
    if provider == "slack":
        check_slack_method(urlsplit(url).path)
    _check_path(provider, method.upper(), relative_path(url, base_url))


def _check_path(provider: str, method: str, path: str) -> None:
    if provider not in ALLOWED_CALLS:
        raise CallRefused(f"provider {provider!r} has no list of allowed calls (providers/allowed_calls.py)")
    if not is_allowed(provider, method, path):
        raise CallRefused(f"{method} to a path not on the {provider} allow-list refused "
                          "(providers/allowed_calls.py)")
