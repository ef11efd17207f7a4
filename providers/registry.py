"""Discovers provider modules: every module in this package that defines ``PROVIDER``.

Discovery instead of a hand-kept list, so adding a provider is adding one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

import providers
from providers.base import Provider

_NOT_PROVIDERS = {"base", "guard", "registry", "verify"}


@lru_cache(maxsize=1)
def all_providers() -> tuple[Provider, ...]:
    found: list[Provider] = []
    for info in sorted(pkgutil.iter_modules(providers.__path__), key=lambda m: m.name):
        if info.name in _NOT_PROVIDERS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"providers.{info.name}")
        provider = getattr(module, "PROVIDER", None)
        if isinstance(provider, Provider):
            found.append(provider)
    return tuple(found)


def provider_for_kind(kind: str) -> Provider | None:
    for provider in all_providers():
        if kind in provider.kinds:
            return provider
    return None


def provider_by_name(name: str) -> Provider | None:
    return next((p for p in all_providers() if p.name == name), None)
