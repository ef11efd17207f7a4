"""Environment variables: what an agent inherits from the shell that started it.

Each variable is sent to the detectors as a one-variable Document ``NAME=value`` at path
``env:NAME``, so context rules keyed on the name (``RAILWAY_TOKEN=<uuid>``) match and line/column
point inside that text (column ``len(NAME) + 2`` is the first character of the value).

Some credentials are only usable together (AWS key ID + secret + session token; a PostgreSQL
password with its host and user; Terraform's ``TF_TOKEN_<host>``): for those we also emit a
structured Hit, at the same location a detector would report, carrying the companions.

``--env-of PID`` reads another process's environment from ``/proc/PID/environ``
(:func:`read_proc_environ`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from scanner.detect.hosts import host_context
from scanner.model import Hit, Location, SourceKind, SourceStats
from scanner.sources.base import DEFAULT_MAX_FILE_SIZE, Document, Sink

_AWS_KEY_ID = ("AWS_ACCESS_KEY_ID",)
_AWS_SECRET = ("AWS_SECRET_ACCESS_KEY",)
_AWS_TOKEN = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def env_location(name: str, label: str = "env", line: int | None = None,
                 column: int | None = None) -> Location:
    return Location(path=f"{label}:{name}", line=line, column=column, source=SourceKind.ENV)


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((environ[n] for n in names if environ.get(n)), "")


def _structured_hits(environ: Mapping[str, str], label: str) -> list[Hit]:
    hits: list[Hit] = []
    key_id = environ.get("AWS_ACCESS_KEY_ID", "").strip()
    if key_id:
        hits.append(Hit(
            provider="aws", kind="aws_access_key", secret=key_id,
            location=env_location("AWS_ACCESS_KEY_ID", label, 1, len("AWS_ACCESS_KEY_ID") + 2),
            rule="env:aws", companions={k: v for k, v in {
                "aws_secret_access_key": _first(environ, _AWS_SECRET),
                "aws_session_token": _first(environ, _AWS_TOKEN),
                "profile": environ.get("AWS_PROFILE", ""),
                "region": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION", ""),
            }.items() if v}))
    password = environ.get("PGPASSWORD", "")
    if password:
        hits.append(Hit(
            provider="postgres", kind="postgres_password", secret=password,
            location=env_location("PGPASSWORD", label, 1, len("PGPASSWORD") + 2),
            rule="env:postgres", companions={k: v for k, v in {
                "host": environ.get("PGHOST", ""), "port": environ.get("PGPORT", ""),
                "database": environ.get("PGDATABASE", ""), "user": environ.get("PGUSER", ""),
            }.items() if v}))
    for name, value in environ.items():
        # Terraform CLI: TF_TOKEN_app_terraform_io (dots as underscores, dashes as double underscores)
        if name.startswith("TF_TOKEN_") and value:
            host = name[len("TF_TOKEN_"):].replace("__", "\0").replace("_", ".").replace("\0", "-")
            hits.append(Hit(provider="terraform", kind="terraform_cloud_token", secret=value,
                            location=env_location(name, label, 1, len(name) + 2), rule="env:terraform",
                            companions={"host": host}))
    return hits


def collect_env(environ: Mapping[str, str], sink: Sink, label: str = "env") -> SourceStats:
    """Send every non-empty variable as a Document, plus structured hits for credential groups.

    ``label`` prefixes paths (``env:NAME``; ``env[1234]:NAME`` for another process).
    """
    count = 0
    hosts = host_context(environ)  # GH_HOST beside GITHUB_TOKEN: a self-managed host, never a destination
    for name in sorted(environ):
        value = environ[name]
        if not value.strip():
            continue
        text = f"{name}={value}"
        count += 1
        sink.document(Document(text=text, origin=env_location(name, label),
                               size=len(text.encode("utf-8", "surrogateescape")), hosts=hosts))
    hits = _structured_hits(environ, label)
    for hit in hits:
        sink.hit(hit)
    return SourceStats(name=label, items=count, hits=len(hits))


def parse_environ_block(data: bytes) -> dict[str, str]:
    """``NAME=value`` entries separated by NUL bytes (the ``/proc/PID/environ`` format)."""
    result: dict[str, str] = {}
    for entry in data.split(b"\0"):
        if not entry:
            continue
        name, sep, value = entry.partition(b"=")
        if not sep or not name:
            continue
        result[name.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    return result


def read_proc_environ(pid: int, sink: Sink | None = None,
                      max_size: int = DEFAULT_MAX_FILE_SIZE) -> dict[str, str]:
    """The environment another process started with, from ``/proc/PID/environ``.

    :func:`~scanner.sources.base.read_regular_file` cannot be used: the file is NUL-separated
    (its binary sniff would refuse it) and procfs reports size 0. The path is built from an
    integer pid only, so it always names a procfs file. Failures become a warning and ``{}``.
    """
    path = f"/proc/{int(pid)}/environ"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        _warn(sink, f"{path}: permission denied (the process belongs to another user)")
        return {}
    except FileNotFoundError:
        _warn(sink, f"{path}: no such process")
        return {}
    except OSError as exc:
        _warn(sink, f"{path}: cannot open ({exc.strerror or type(exc).__name__})")
        return {}
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > max_size:
                _warn(sink, f"{path}: environment larger than the size limit; truncated")
                break
            chunks.append(chunk)
    except PermissionError:
        _warn(sink, f"{path}: permission denied (the process belongs to another user)")
        return {}
    except OSError as exc:
        _warn(sink, f"{path}: read error ({exc.strerror or type(exc).__name__})")
        return {}
    finally:
        os.close(fd)
    return parse_environ_block(b"".join(chunks))


def _warn(sink: Sink | None, message: str) -> None:
    if sink is not None:
        sink.warn(message)
