"""Small helpers every recogniser shares: options in any order, names that hint an environment."""

from __future__ import annotations

import re
from collections.abc import Iterable

from scanner.guard import envclass
from scanner.guard.commands.model import ACTION_RANK, ADMIN, DELETE, READ, WRITE, CredRef

DELETE_WORDS = ("delete", "remove", "rm", "destroy", "drop", "purge", "wipe", "truncate", "terminate",
                "erase", "uninstall", "deregister", "rb", "prune", "reset", "flush", "nuke", "discard")
ADMIN_WORDS = ("grant", "revoke", "permission", "role", "policy", "iam", "invite", "member", "owner",
               "transfer", "token", "apikey", "api-key", "access-key", "admin", "collaborator", "visibility")
READ_WORDS = ("get", "list", "ls", "describe", "show", "read", "view", "status", "whoami", "logs", "log",
              "search", "find", "query", "fetch", "info", "inspect", "version", "help", "diff", "plan",
              "validate", "output", "history", "top", "explain", "select", "count", "me", "open")


def option(args: list[str], *names: str) -> str | None:
    """Value of ``--name v``, ``--name=v``, ``-n v`` or ``-nv`` anywhere in ``args`` (flag order free)."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
            if len(name) == 2 and name.startswith("-") and arg.startswith(name) and len(arg) > 2 \
                    and not arg.startswith("--"):
                return arg[2:]
    return None


def options(args: list[str], *names: str) -> list[str]:
    out = []
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                out.append(args[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                out.append(arg.split("=", 1)[1])
    return out


def has(args: list[str], *flags: str) -> bool:
    for arg in args:
        if arg in flags:
            return True
        if arg.startswith("-") and not arg.startswith("--"):
            # combined short flags: -rf, -fr
            short = {f[1] for f in flags if len(f) == 2 and f.startswith("-")}
            if short and len(arg) > 2 and set(arg[1:]) & short and arg[1:].isalpha():
                return True
        if any(arg.startswith(f + "=") for f in flags if f.startswith("--")):
            return True
    return False


def positionals(args: list[str], value_options: Iterable[str] = ()) -> list[str]:
    takes = set(value_options)
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--":
            continue
        if arg.startswith("-") and len(arg) > 1:
            if arg in takes:
                skip = True
            continue
        out.append(arg)
    return out


def verb_action(words: Iterable[str], default: str = WRITE) -> str:
    """Action from CLI verbs (``delete``, ``rm``, ``get``...): the strictest verb present wins."""
    best: str | None = None
    for word in words:
        parts = set(re.split(r"[^a-z0-9]+", word.lower()))
        found = None
        if parts & set(DELETE_WORDS):
            found = DELETE
        elif parts & {"grant", "revoke", "permission", "permissions", "role", "roles", "iam", "invite",
                      "transfer", "admin", "collaborator", "collaborators"}:
            found = ADMIN
        elif parts & set(READ_WORDS):
            found = READ
        if found and (best is None or ACTION_RANK[found] > ACTION_RANK[best]):
            best = found
    return best or default


def env_hints(args: Iterable[str]) -> tuple[str, ...]:
    """Words in the command that name an environment (``--context prod``, ``db.prod.example``)."""
    out = []
    for arg in args:
        for piece in re.split(r"[=,@/:\s]", arg):
            if piece and envclass.classify(piece) != envclass.UNKNOWN and len(piece) < 80:
                out.append(piece)
    return tuple(dict.fromkeys(out))


def refs(*groups: Iterable[CredRef | None]) -> tuple[CredRef, ...]:
    out: list[CredRef] = []
    for group in groups:
        for ref in group:
            if ref is not None and ref not in out:
                out.append(ref)
    return tuple(out)
