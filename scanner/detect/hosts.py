"""Self-managed hosts named next to a GitHub or GitLab token (issue 12.11).

``GH_HOST=ghe.corp.example`` or ``CI_SERVER_URL=https://gitlab.corp.example`` beside a token says
the token belongs to that host, not to github.com/gitlab.com. Checking it against the public host
would be wrong (a false "invalid") and would send it somewhere the user never meant; sending it to
the named host would let a file decide where a secret goes. So the host only becomes the ``host``
companion of the hit: the provider then reports "unverifiable: self-managed host X; pass
--endpoint" and sends nothing, unless the user passed ``--endpoint`` themselves.

Public hosts (``github.com``, ``api.github.com``, ``gitlab.com``) change nothing: a GitHub Actions
runner sets ``GITHUB_API_URL=https://api.github.com`` on every job.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from scanner.model import Hit

HOST_VARIABLES: Mapping[str, tuple[str, ...]] = {
    # gh CLI manual (GH_HOST, GH_ENTERPRISE_TOKEN), GitHub Actions default variables
    "github": ("GH_HOST", "GITHUB_HOST", "GH_ENTERPRISE_HOST", "GITHUB_API_URL", "GITHUB_SERVER_URL",
               "GITHUB_ENTERPRISE_URL", "GITHUB_URL"),
    # glab CLI (GITLAB_HOST, GITLAB_URI), GitLab CI predefined variables (CI_SERVER_URL, CI_API_V4_URL)
    "gitlab": ("GITLAB_HOST", "GITLAB_URI", "GITLAB_URL", "GL_HOST", "CI_SERVER_URL", "CI_SERVER_HOST",
               "CI_API_V4_URL", "GITLAB_API_URL"),
}
PUBLIC_HOSTS: Mapping[str, frozenset[str]] = {
    "github": frozenset({"github.com", "api.github.com", "www.github.com"}),
    "gitlab": frozenset({"gitlab.com", "www.gitlab.com"}),
}
_NAMES = "|".join(sorted({n for names in HOST_VARIABLES.values() for n in names}, key=len, reverse=True))
_ASSIGNMENT = re.compile(
    rf"""^[ \t]*(?:export[ \t]+|set[ \t]+|\$env:)?["']?(?P<name>{_NAMES})["']?[ \t]*[:=][ \t]*["']?"""
    r"""(?P<value>[A-Za-z0-9._~:/\[\]-]{3,253})""",
    re.MULTILINE)
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")


def normalise_host(value: str) -> str | None:
    """The host a variable names (``https://ghe.x/api/v3`` -> ``ghe.x``), or None if it names none."""
    text = value.strip().strip("\"'").lower()
    if "://" in text:
        text = urlsplit(text).netloc.rsplit("@", 1)[-1]
    text = text.split("/", 1)[0].rstrip(".")
    return text if text and _HOSTNAME.match(text) and "." in text.split(":")[0] else None


def host_context(text: str | Mapping[str, str]) -> dict[str, str]:
    """Provider -> self-managed host, from a document's assignments or from an environment."""
    pairs: list[tuple[str, str]]
    if isinstance(text, str):
        if not any(name in text for name in ("HOST", "_URL", "_URI")):
            return {}
        pairs = [(m.group("name"), m.group("value")) for m in _ASSIGNMENT.finditer(text)]
    else:
        pairs = [(name, text[name]) for names in HOST_VARIABLES.values() for name in names if text.get(name)]
    found: dict[str, str] = {}
    for provider, names in HOST_VARIABLES.items():
        for name in names:  # the first variable in the list wins: GH_HOST before GITHUB_SERVER_URL
            for seen, value in pairs:
                host = normalise_host(value) if seen == name else None
                if host and host.split(":")[0] not in PUBLIC_HOSTS[provider] and provider not in found:
                    found[provider] = host
    return found


def attach_hosts(hits: list[Hit], context: Mapping[str, str]) -> list[Hit]:
    """Hits of a provider with a self-managed host in ``context`` get it as their ``host`` companion."""
    if not context:
        return hits
    out: list[Hit] = []
    for hit in hits:
        host = context.get(hit.provider)
        if host and "host" not in hit.companions and hit.filtered_by is None:
            hit = dataclasses.replace(hit, companions={**hit.companions, "host": host})
        out.append(hit)
    return out
