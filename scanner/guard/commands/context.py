"""What a recogniser may ask about the world while judging one command, without a network call.

The environment the command would run with (the agent's, which the hook inherits, plus what the
command line itself assigns or sources), where each variable came from, the workspace, the home
directory, the reach map, and bounded reads of small local files: at most ``MAX_FILES`` files of at
most ``MAX_FILE_BYTES`` each, only inside the workspace or the home directory, never following a
link out of them (the tree is hostile: a script can be a link to anything).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from scanner.guard._record import dataclass, field
from scanner.guard.commands.model import CredRef, Operation
from scanner.guard.reachmap import ReachMap

MAX_DEPTH = 6
MAX_FILES = 32
MAX_FILE_BYTES = 256 * 1024
MAX_OPERATIONS = 200

_CANDIDATE = re.compile(r"[A-Za-z][a-z0-9+.-]*://[^\s'\"<>]+|[A-Za-z0-9_\-.~+/=]{8,}")


@dataclass
class Ctx:
    cwd: str
    workspace: str
    home: str
    env: dict[str, str]
    reach: ReachMap | None
    fingerprint: Callable[[str], str]
    origin: dict[str, str] = field(default_factory=dict)
    """Variable name -> where its value came from (a file path, ``the command``)."""
    depth: int = 0
    files_read: list[int] = field(default_factory=lambda: [0])
    ops: list[Operation] = field(default_factory=list)
    unset: set[str] = field(default_factory=set)
    injected: list[CredRef] = field(default_factory=list)
    """Credentials a wrapper such as ``railway run`` puts into the inner command's environment."""
    task_hint: list[str] = field(default_factory=list)

    def child(self, *, cwd: str | None = None, env: dict[str, str] | None = None) -> Ctx:
        return Ctx(cwd or self.cwd, self.workspace, self.home, dict(self.env if env is None else env),
                   self.reach, self.fingerprint, dict(self.origin), self.depth + 1, self.files_read, self.ops,
                   set(self.unset), list(self.injected), self.task_hint)

    def add(self, *ops: Operation) -> None:
        for op in ops:
            if len(self.ops) < MAX_OPERATIONS:
                self.ops.append(op)

    # --- files -------------------------------------------------------------------------------
    def resolve_path(self, path: str) -> str:
        if path.startswith("~/") or path == "~":
            path = os.path.join(self.home, path[2:])
        return os.path.normpath(os.path.join(self.cwd, path))

    def inside(self, real: str) -> bool:
        for root in (self.workspace, self.home):
            if root and (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
                return True
        return False

    def read_text(self, path: str) -> str | None:
        """A small file's text, or None (too big, outside the workspace/home, a link out, unreadable)."""
        if self.files_read[0] >= MAX_FILES:
            return None
        absolute = self.resolve_path(path)
        real = os.path.realpath(absolute)
        if not self.inside(real):
            return None
        from scanner.guard.safe_write import read_small

        self.files_read[0] += 1
        data = read_small(real, MAX_FILE_BYTES)
        if data is None:
            return None
        return data.decode("utf-8", "replace")

    # --- credentials -------------------------------------------------------------------------
    def known(self, fp: str) -> bool:
        return bool(self.reach and fp in self.reach.credentials)

    def literal_refs(self, words: list[str], how: str = "named", detail: str = "named in the command") -> list[CredRef]:
        """Known credentials written literally anywhere in ``words`` (any syntax: headers, URLs, flags)."""
        if not self.reach or not self.reach.credentials:
            return []
        fps: list[str] = []
        for word in words:
            for candidate in _candidates(word):
                fp = self.fingerprint(candidate)
                if fp in self.reach.credentials and fp not in fps:
                    fps.append(fp)
        return [CredRef(how, detail, tuple(fps))] if fps else []

    def env_ref(self, name: str, *, provider: str | None = None) -> CredRef | None:
        """The credential in variable ``name`` as the command would see it (None if unset)."""
        if name in self.unset:
            return None
        where = self.origin.get(name)
        detail = f"env var {name}" + (f" (set from {self._short(where)})" if where and where != "the command"
                                      else " (set in the command)" if where else "")
        value = self.env.get(name)
        if value is None:
            known = self.reach.by_env.get(name, ()) if self.reach else ()
            if not known:
                return None
            return CredRef("env", detail, tuple(known), env_var=name, provider=provider)
        fp = self.fingerprint(value)
        fps = (fp,) if value else ()
        extra = [f for f in (self.fingerprint(c) for c in _candidates(value)) if f != fp and self.known(f)]
        return CredRef("env", detail, fps + tuple(extra), env_var=name, path=where if where and
                       os.path.isabs(where) else None, provider=provider)

    def var_refs(self, words: list[str]) -> list[CredRef]:
        from scanner.guard.commands.shell import variables_in

        refs = []
        for word in words:
            for name in variables_in(word):
                ref = self.env_ref(name)
                if ref is not None and (not ref.fingerprints or any(self.known(f) for f in ref.fingerprints)
                                        or _looks_secret_name(name)):
                    refs.append(ref)
        return refs

    def file_refs(self, path: str, how: str = "file") -> list[CredRef]:
        """Credentials the map knows in file ``path``, plus known values found in its text."""
        absolute = self.resolve_path(path)
        fps = list(self.reach.by_path.get(absolute, ())) if self.reach else []
        real = os.path.realpath(absolute)
        if self.reach and real != absolute:
            fps += [f for f in self.reach.by_path.get(real, ()) if f not in fps]
        if self.reach and self.reach.credentials and not fps:
            text = self.read_text(path)
            if text:
                for candidate in _candidates(text):
                    fp = self.fingerprint(candidate)
                    if fp in self.reach.credentials and fp not in fps:
                        fps.append(fp)
        if not fps:
            return []
        return [CredRef(how, f"file `{self._short(absolute)}`", tuple(fps), path=absolute)]

    def store_ref(self, provider: str, store_paths: tuple[str, ...], detail: str, *, store: str | None = None,
                  profile: str | None = None) -> CredRef:
        """The CLI's default credential store: what the map found there, else an unknown credential."""
        fps: list[str] = []
        if self.reach:
            for rel in store_paths:
                absolute = os.path.normpath(os.path.join(self.home, rel))
                fps += [f for f in self.reach.by_path.get(absolute, ()) if f not in fps]
            for cred in self.reach.credentials.values():
                for loc in cred.locations:
                    if store and loc.store == store and (profile is None or loc.profile == profile) \
                            and cred.fingerprint not in fps:
                        fps.append(cred.fingerprint)
        return CredRef("store", detail, tuple(fps), store=store, profile=profile, provider=provider)

    def first_env(self, provider: str, names: tuple[str, ...]) -> CredRef | None:
        for name in names:
            ref = self.env_ref(name, provider=provider)
            if ref is not None:
                return ref
        return None

    def ambient_refs(self) -> list[CredRef]:
        """Credentials in the command's environment: known ones, or with no usable map every variable
        whose name says secret (unknown, so counted as production)."""
        usable = self.reach is not None and self.reach.usable
        out = []
        for name in list(self.env)[:400]:
            if not usable and not _looks_secret_name(name):
                continue
            ref = self.env_ref(name)
            if ref and (not usable or any(self.known(f) for f in ref.fingerprints)):
                out.append(ref)
        return out

    def _short(self, path: str) -> str:
        for root, label in ((self.workspace, ""), (self.home, "~/")):
            if root and path.startswith(root.rstrip(os.sep) + os.sep):
                return label + os.path.relpath(path, root)
        return path


def _candidates(text: str) -> list[str]:
    out = []
    for match in _CANDIDATE.finditer(text):
        value = match.group(0)
        out.append(value)
        stripped = value.rstrip(".,;:)]}")
        if stripped != value:
            out.append(stripped)
        if "=" in value:
            out.append(value.split("=", 1)[1])
        if ":" in value and "://" not in value:
            out.extend(value.split(":"))
    return out


def _looks_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(w in lowered for w in ("token", "secret", "password", "passwd", "key", "auth", "credential",
                                      "database_url", "_url", "dsn"))
