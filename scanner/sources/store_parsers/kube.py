"""Kubernetes kubeconfig (``~/.kube/config``), providers.md §24.

``users[].user`` holds ``token``, ``client-key-data`` (+ ``client-certificate-data``) or
``username``/``password``; ``exec`` and ``auth-provider`` users run or refresh through external
programs, which are only named. Each credential carries the cluster server and context that use
it: the server is a host found next to the secret, so providers only contact it with
``--verify-embedded-hosts``.
"""

from __future__ import annotations

import os
from typing import Any

from scanner.sources.store_parsers._common import (
    NOWHERE,
    StoreFile,
    StoreFormatError,
    as_str,
    load_yaml,
)

PROVIDER = "kubernetes"


def _named(items: Any, inner: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """name -> (index, inner mapping) for ``clusters``/``users``/``contexts`` lists."""
    result: dict[str, tuple[int, dict[str, Any]]] = {}
    if not isinstance(items, list):
        return result
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get(inner), dict):
            result.setdefault(as_str(item.get("name")), (index, item[inner]))
    return result


def parse(store_file: StoreFile) -> None:
    data, positions = load_yaml(store_file)
    if data is None:
        return
    if not isinstance(data, dict):
        raise StoreFormatError("expected a kubeconfig mapping")
    clusters = _named(data.get("clusters"), "cluster")
    users = _named(data.get("users"), "user")
    contexts = _named(data.get("contexts"), "context")
    current = as_str(data.get("current-context"))
    for user_name, (index, user) in users.items():
        # The context that uses this user (prefer the current one) gives cluster and namespace.
        using = [(name, ctx) for name, (_, ctx) in contexts.items() if as_str(ctx.get("user")) == user_name]
        using.sort(key=lambda item: item[0] != current)
        context_name, context = using[0] if using else ("", {})
        cluster_name = as_str(context.get("cluster"))
        cluster = clusters.get(cluster_name, (0, {}))[1]
        companions = {
            "server": as_str(cluster.get("server")),
            "certificate_authority_data": as_str(cluster.get("certificate-authority-data")),
            "insecure_skip_tls_verify": "true" if cluster.get("insecure-skip-tls-verify") is True else "",
            "context": context_name,
            "cluster": cluster_name,
            "namespace": as_str(context.get("namespace")),
            "user": user_name,
            "contexts": ",".join(name for name, _ in using),
        }
        profile = context_name or user_name

        def where(key: str, idx: int = index) -> tuple[int | None, int | None]:
            return positions.get(("users", idx, "user", key), NOWHERE)

        token = as_str(user.get("token"))
        if token:
            store_file.emit(PROVIDER, "kubernetes_token", token, where("token"), profile=profile,
                            companions=companions)
        key_data = as_str(user.get("client-key-data"))
        if key_data:
            cert = as_str(user.get("client-certificate-data"))
            store_file.emit(PROVIDER, "kubernetes_client_key", key_data, where("client-key-data"),
                            profile=profile, companions={**companions, "client_certificate_data": cert})
        password = as_str(user.get("password"))
        if password:
            store_file.emit(PROVIDER, "kubernetes_password", password, where("password"), profile=profile,
                            companions={**companions, "username": as_str(user.get("username"))})
        if as_str(user.get("client-key")) or as_str(user.get("tokenFile")):
            store_file.warn(f"user `{user_name}` points at a key or token file (not followed)")
        exec_cfg = user.get("exec")
        if isinstance(exec_cfg, dict):
            command = os.path.basename(as_str(exec_cfg.get("command"))) or "?"
            store_file.warn(f"user `{user_name}` gets its credential from exec plugin `{command}` "
                            "(never run; not checked)")
        auth_provider = user.get("auth-provider")
        if isinstance(auth_provider, dict):
            name = as_str(auth_provider.get("name")) or "?"
            store_file.warn(f"user `{user_name}` uses auth-provider `{name}` (never refreshed; not checked)")
