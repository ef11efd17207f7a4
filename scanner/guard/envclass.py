"""Environment class from a name, without importing the provider framework.

Same words and rules as :func:`providers.base.classify_environment` (a test keeps them equal);
duplicated because ``providers.base`` imports ``requests``, which the hook path must not pay for.
"""

from __future__ import annotations

import re

PRODUCTION_WORDS = frozenset({"production", "prod", "live", "main", "master", "prd"})
STAGING_WORDS = frozenset({"staging", "stage", "stg", "preprod", "pre-prod", "uat", "qa"})
DEVELOPMENT_WORDS = frozenset({"development", "dev", "test", "testing", "sandbox", "preview", "local", "demo"})

PRODUCTION = "production"
STAGING = "staging"
DEVELOPMENT = "development"
UNKNOWN = "unknown"

RANK = {DEVELOPMENT: 0, STAGING: 1, UNKNOWN: 2, PRODUCTION: 3}
"""How strict a class is for the policy: unknown counts as production, so it ranks just below it."""


def classify(name: str | None) -> str:
    if not name:
        return UNKNOWN
    lowered = name.lower()
    words = set(re.split(r"[^a-z0-9]+", lowered))
    if words & STAGING_WORDS or "pre-prod" in lowered:
        return STAGING
    if words & PRODUCTION_WORDS:
        return PRODUCTION
    if words & DEVELOPMENT_WORDS:
        return DEVELOPMENT
    return UNKNOWN


def production_like(cls: str) -> bool:
    return cls in (PRODUCTION, UNKNOWN)


def strictest(classes: list[str] | tuple[str, ...] | set[str]) -> str:
    """The most production-like of several classes (unknown when there are none)."""
    return max(classes, key=lambda c: RANK.get(c, RANK[UNKNOWN])) if classes else UNKNOWN


def task_class(task_env: str | None) -> str | None:
    """The class of the task's environment; a task named nothing we know counts as production."""
    if not task_env:
        return None
    cls = classify(task_env)
    return PRODUCTION if cls == UNKNOWN else cls
