"""The scan pipeline: sources -> detect -> credentials -> providers -> policy.

Only wiring lives here; each stage is its own module. The CLI builds :class:`ScanOptions`,
calls :func:`run_scan`, and hands the :class:`ScanResult` to a reporter.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from scanner.canonical import canonical_secret
from scanner.controls import TRUSTED, ControlTrust
from scanner.detect.engine import ALLOW_COMMENT
from scanner.detect.parallel import (
    NO_HITS,
    ContentKey,
    DetectionFailed,
    FileHits,
    NotRead,
    OrderedDetector,
    content_key,
    relocate,
)
from scanner.model import (
    NOT_ATTEMPTED,
    Assessment,
    BlastRadius,
    Credential,
    FilteredHit,
    Hit,
    Location,
    ScanResult,
    ScanStats,
    SkippedPath,
    SourceStats,
    Verification,
    VerificationStatus,
)
from scanner.policy import assess, worst_first
from scanner.redact import NON_SECRET_COMPANIONS, REDACTOR, fingerprint, preview
from scanner.sources.base import DEFAULT_MAX_FILE_SIZE, Document, FileRef, lossy_warning, printable
from scanner.sources.files import WalkOptions, walk_workspace

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanOptions:
    roots: tuple[str, ...] = (".",)
    workspace: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    default_excludes: bool = True
    git_history: bool = False
    home: bool = False
    home_dir: str | None = None
    env: bool = False
    environ: Mapping[str, str] | None = None
    """Environment to scan with ``--env``; the process's own when None."""
    env_of: tuple[int, ...] = ()
    offline: bool = False
    endpoints: Mapping[str, str] = field(default_factory=dict)
    verify_timeout: float = 60.0
    request_timeout: float = 10.0
    allow_embedded_hosts: bool = False
    task_env: str | None = None
    use_detect_secrets: bool = True
    diff: str | None = None
    """``BASE``, ``BASE..HEAD`` or ``BASE...HEAD``: only what those commits add (replaces the walk)."""
    staged: bool = False
    """Only what the index adds against HEAD (pre-commit)."""
    show_filtered: bool = False
    """Keep the matches false-alarm filters dropped in the result (``--show-filtered``)."""
    rule_files: tuple[str, ...] = ()
    """User rule files (``--rules FILE``), in the catalog's TOML/YAML shape."""
    controls: ControlTrust = TRUSTED
    """How far the tree's own control files are trusted (scanner/controls.py)."""




@dataclass(frozen=True, slots=True)
class _Tag:
    """What the collector does with one result once it comes back in order."""

    source: str
    size: int | None = None
    """A document or file: counted (progress) when applied; None for a source's own hit or a note."""
    key: ContentKey | None = None
    counted: bool = True
    """Whether the document's files/bytes were counted at submission (False: a file read by a worker,
    counted when its read comes back)."""
    skip: SkippedPath | None = None
    warning: str | None = None


class Collector:
    """The Sink every source reports to: detects on documents, counts, remembers skips."""

    def __init__(self, progress: ProgressFn | None = None,
                 use_detect_secrets: bool = True, controls: ControlTrust = TRUSTED,
                 keep_filtered: bool = True, remember_worker_files: bool = True) -> None:
        self.controls = controls
        self.keep_filtered = keep_filtered
        """Whether dropped matches are kept for ``--show-filtered`` (a large tree has as many of
        them as credentials; without the option they are only counted)."""
        self.filtered_count = 0
        self.remember_worker_files = remember_worker_files
        """Keep the content keys of files workers read (only git history can reuse them later)."""
        self.allowed_by_comment = 0
        """Credentials an inline allow comment kept out of the result (reported as a warning)."""
        self.allow_overruled = 0
        """Credentials behind an allow comment the change under review added: reported anyway."""
        self.hits: list[Hit] = []
        self.filtered: list[FilteredHit] = []
        self.skipped: list[SkippedPath] = []
        self.warnings: list[str] = []
        self.files = 0
        self.bytes = 0
        self._progress = progress
        self._use_ds = use_detect_secrets
        self.source = "workspace"
        self.per_source_items: Counter[str] = Counter()
        self.per_source_hits: Counter[str] = Counter()
        self.per_source_bytes: Counter[str] = Counter()
        self.per_source_seconds: dict[str, float] = {}
        self.extra_sources: list[SourceStats] = []
        """Finer-grained counts some sources report (one per home credential store)."""
        self._by_content: dict[ContentKey, list[Hit]] = {}
        """Hits of every whole-file document detected so far, by content and the name features
        detection reads (see :func:`content_key`): a HEAD blob identical to the work-tree file, or
        a vendored copy, is not detected twice; its hits are the same at its own location."""
        self._detector: OrderedDetector[_Tag] = OrderedDetector(use_detect_secrets, known=self._by_content)
        self.reused = 0
        self._shown_files = 0
        self._shown_bytes = 0
        """What progress has reported: results are applied in order, so it counts up one by one."""

    def document(self, doc: Document) -> None:
        if self.source in ("workspace", "home", "diff"):
            self.files += 1
        self.bytes += doc.size
        self.per_source_items[self.source] += 1
        self.per_source_bytes[self.source] += doc.size
        history = self.source == "git-history"
        # A history blob can only repeat a file the walk read (blob ids are content hashes: each
        # blob comes once), so it is looked up when there is something to find, never stored.
        key = content_key(doc) if not history or self._by_content else None
        known = self._by_content.get(key) if key is not None else None
        tag = _Tag(self.source, doc.size, None if history else key)
        if known is not None:
            self.reused += 1
            self._apply(self._detector.passthrough(tag, relocate(known, doc)))
            return
        # Detection may run in worker processes; results come back in submission order.
        # A document detection fails on comes back as DetectionFailed (reported as skipped).
        self._apply(self._detector.submit(doc, tag))

    def file(self, ref: FileRef) -> None:
        """A file the walker vetted: read where it is detected (a worker, once the pool runs).

        Counted when its read comes back, since only then is it known to be a readable text file.
        """
        self._apply(self._detector.submit(ref, _Tag(self.source, ref.size, counted=False)))

    def prepare(self, expected_bytes: Callable[[], int]) -> None:
        """A source can tell how much is coming (a tree's size, a history's): detection workers may
        start now. Asked only when the answer could start them (not with one worker, not twice)."""
        self._detector.prepare(expected_bytes)

    def expect(self, left_bytes: int) -> None:
        """A source knows how much is still to come (a history, from ``cat-file --batch-check``)."""
        self._detector.expect(left_bytes)

    def hit(self, hit: Hit) -> None:
        self._apply(self._detector.passthrough(_Tag(self.source), [hit]))

    def finish(self) -> None:
        """Wait for detection still running in workers and record its hits (collect() calls this)."""
        self._apply(self._detector.finish())

    def _apply(self, ready: list[tuple[_Tag, list[Hit]]]) -> None:
        for tag, hits in ready:
            if tag.skip is not None:
                self.skipped.append(tag.skip)
                continue
            if tag.warning is not None:
                self.warnings.append(REDACTOR.scrub(tag.warning))
                continue
            if isinstance(hits, NotRead):
                self._skip_now(hits.path, hits.reason)
                continue
            size = tag.size
            if not tag.counted:
                size = hits.size if isinstance(hits, FileHits) else (tag.size or 0)
                if tag.source in ("workspace", "home", "diff"):
                    self.files += 1
                self.bytes += size
                self.per_source_items[tag.source] += 1
                self.per_source_bytes[tag.source] += size
            if isinstance(hits, FileHits):
                if hits.lossy:
                    self.warnings.append(REDACTOR.scrub(lossy_warning(hits.path)))
                self.reused += hits.reused
            if isinstance(hits, DetectionFailed):
                self._skip_now(hits.path, f"detection failed on this file ({hits.error}); not scanned")
            else:
                # A worker's file is remembered only when git history will be read (its HEAD blob);
                # the workers keep their own map for copies within the tree.
                key = (hits.key if self.remember_worker_files else None) if isinstance(hits, FileHits) \
                    else tag.key
                if key is not None and key not in self._by_content:
                    self._by_content[key] = list(hits) if hits else NO_HITS
            for hit in hits:
                self._record(hit, tag.source)
            if size is not None:
                self._shown_files += 1
                self._shown_bytes += size
                if self._progress is not None:
                    self._progress(self._shown_files, self._shown_bytes)

    def _record(self, hit: Hit, source: str) -> None:
        if hit.filtered_by == ALLOW_COMMENT:
            untrusted = self.controls.allow_comments
            if untrusted is not None and untrusted(hit.location):
                self.allow_overruled += 1
                hit = replace(hit, filtered_by=None)
            else:
                self.allowed_by_comment += 1
        if hit.filtered_by is not None:  # not a credential: never registered, listed with --show-filtered
            self.filtered_count += 1
            if self.keep_filtered:
                self.filtered.append(FilteredHit(hit.provider, hit.kind, hit.rule, hit.location, hit.filtered_by,
                                                 preview(hit.secret)))
            return
        REDACTOR.register(hit.secret)
        canonical = canonical_secret(hit.secret)
        if canonical != hit.secret:
            REDACTOR.register(canonical)  # the decoded spelling is the same secret
        for key, value in hit.companions.items():
            if len(value) >= 12 and key not in NON_SECRET_COMPANIONS:
                REDACTOR.register(value)
        self.per_source_hits[source] += 1
        self.hits.append(hit)

    def close(self) -> None:
        """Stop detection workers (idempotent; after finish() there is nothing left to stop)."""
        self._detector.close()

    def skip(self, path: str, reason: str) -> None:
        """Kept in order with the files before it, whatever worker reads those."""
        self._apply(self._detector.note(_Tag(self.source, skip=_skipped(path, reason))))

    def _skip_now(self, path: str, reason: str) -> None:
        self.skipped.append(_skipped(path, reason))

    def warn(self, message: str) -> None:
        self._apply(self._detector.note(_Tag(self.source, warning=message)))


def _skipped(path: str, reason: str) -> SkippedPath:
    # A raw name with control characters or undecodable bytes is shown the way locations are.
    return SkippedPath(path if path.isprintable() else printable(path), str(reason))


def credential_id(fp: str) -> str:
    return f"CR-{fp[:10]}"


def deduplicate(hits: Iterable[Hit]) -> list[Credential]:
    """One credential per secret fingerprint, with every location it was found at."""
    groups: dict[str, list[Hit]] = {}
    fingerprints: dict[str, str] = {}  # one HMAC per distinct value, not per location
    for hit in hits:
        # One credential per key however it is spelled (raw, JSON-escaped, URL-encoded, base64).
        fp = fingerprints.get(hit.secret)
        if fp is None:
            fp = fingerprints[hit.secret] = fingerprint(canonical_secret(hit.secret))
        groups.setdefault(fp, []).append(hit)
    credentials = []
    for fp, group in groups.items():
        best = min(group, key=lambda h: (not h.specific, h.provider == "generic"))
        companions: dict[str, str] = {}
        for hit in sorted(group, key=lambda h: not h.specific):
            for key, value in hit.companions.items():
                companions.setdefault(key, value)
        locations: dict[tuple[object, ...], Location] = {}
        for hit in group:
            loc = hit.location
            locations.setdefault((loc.path, loc.line, loc.source, loc.store, loc.profile, loc.commit), loc)
        ordered = tuple(sorted(locations.values(), key=Location.sort_key))
        credentials.append(Credential(
            id=credential_id(fp), provider=best.provider, kind=best.kind, fingerprint=fp,
            preview=preview(best.secret), locations=ordered, secret=best.secret,
            companions=companions, rules=tuple(sorted({h.rule for h in group})),
        ))
    return credentials


def collect(options: ScanOptions, progress: ProgressFn | None = None) -> Collector:
    """Run every selected source into one collector."""
    if options.rule_files:
        from scanner.detect.catalog import RULES_ENV, load_rule_file

        for path in options.rule_files:
            load_rule_file(path)  # a bad file fails here, before any work
        # Detection workers are fresh interpreters: they read the same files from the environment.
        os.environ[RULES_ENV] = os.pathsep.join(options.rule_files)
    sink = Collector(progress, options.use_detect_secrets, options.controls, keep_filtered=options.show_filtered,
                     remember_worker_files=options.git_history)
    for note in options.controls.notes:
        sink.warn(note)
    try:
        _collect_sources(options, sink)
        sink.finish()
    finally:
        sink.close()
    if sink.allowed_by_comment:
        sink.warn(f"inline allow comments (credreach:allow, pragma: allowlist secret, gitleaks:allow) kept "
                  f"{sink.allowed_by_comment} match{'es' if sink.allowed_by_comment != 1 else ''} out of the "
                  f"result (--show-filtered lists them)")
    if sink.allow_overruled:
        sink.warn(f"{sink.allow_overruled} credential{'s' if sink.allow_overruled != 1 else ''} behind allow "
                  f"comments added by the change under review reported anyway")
    return sink


def _collect_sources(options: ScanOptions, sink: Collector) -> None:
    if options.diff or options.staged:
        from scanner.sources.diff import collect_diff, parse_range, repo_root

        sink.source = "diff"
        base, head = parse_range(options.diff) if options.diff else (None, "HEAD")
        for root in options.roots:
            collect_diff(repo_root(root), sink, base=base, head=head, staged=options.staged)
        repositories: list[str] = []
    elif options.workspace:
        sink.source = "workspace"
        walk = walk_workspace(WalkOptions(options.roots, options.include, options.exclude,
                                          options.max_file_size, options.default_excludes,
                                          trust_ignore_file=options.controls.ignore_file), sink)
        repositories = walk.repositories
    else:
        repositories = []
    if options.git_history:
        sink.source = "git-history"
        started = time.monotonic()
        _collect_git(options, repositories, sink)
        sink.per_source_seconds["git-history"] = time.monotonic() - started
    if options.home:
        sink.source = "home"
        from scanner.sources import stores

        # Stores relocated by environment variables (AWS_SHARED_CREDENTIALS_FILE, KUBECONFIG, ...)
        # belong to the real user's machine: consulted only when scanning the real home.
        relocations = None if options.home_dir else (options.environ if options.environ is not None
                                                     else dict(os.environ))
        documents_before = sink.per_source_items["home"]
        per_store = stores.collect_home(options.home_dir or os.path.expanduser("~"), sink, environ=relocations)
        sink.extra_sources.extend(per_store)
        # Parsed store files were read too; histories and rc files were already counted as documents
        # (home documents are counted when submitted; workspace files still being read are not).
        sink.files += sum(s.items for s in per_store) - (sink.per_source_items["home"] - documents_before)
    if options.env or options.env_of:
        sink.source = "env"
        from scanner.sources import env as env_source

        if options.env:
            env_source.collect_env(options.environ if options.environ is not None else dict(os.environ),
                                   sink)
        for pid in options.env_of:
            environ = env_source.read_proc_environ(pid, sink)
            if environ is not None:
                env_source.collect_env(environ, sink, label=f"env[{pid}]")


def _collect_git(options: ScanOptions, repositories: list[str], sink: Collector) -> None:
    from scanner.sources import git as git_source

    repos: list[str] = list(repositories)
    for root in options.roots:
        if os.path.isdir(root):
            for repo in git_source.find_repositories(root, sink):
                if os.path.realpath(repo) not in {os.path.realpath(r) for r in repos}:
                    repos.append(repo)
    if not repos and not options.workspace:
        roots = ", ".join(printable(root) for root in options.roots)
        sink.warn(f"--history-only: no git repository at or under {roots}; nothing was scanned")
    for repo in repos:
        git_source.collect_git_history(repo, sink, max_blob_size=options.max_file_size)


def _source_stats(sink: Collector, options: ScanOptions) -> tuple[SourceStats, ...]:
    diff_mode = bool(options.diff or options.staged)
    names = [n for n, on in (("diff", diff_mode), ("workspace", options.workspace and not diff_mode),
                             ("git-history", options.git_history),
                             ("home", options.home), ("env", options.env or bool(options.env_of))) if on]
    main = [SourceStats(n, sink.per_source_items[n], sink.per_source_hits[n], sink.per_source_bytes[n],
                        round(sink.per_source_seconds.get(n, 0.0), 3)) for n in names]
    return tuple(main + sink.extra_sources)


def verify(credentials: list[Credential], options: ScanOptions) -> dict[str, tuple[Verification, BlastRadius]]:
    if options.offline:
        offline = Verification(VerificationStatus.NOT_ATTEMPTED, "offline: verification not attempted")
        return {c.fingerprint: (offline, BlastRadius()) for c in credentials}
    from providers.verify import VerifyOptions, verify_all

    results = verify_all(credentials, VerifyOptions(
        endpoints=options.endpoints, budget_seconds=options.verify_timeout,
        request_timeout=options.request_timeout, allow_embedded_hosts=options.allow_embedded_hosts))
    return {fp: (r.verification, r.blast_radius) for fp, r in results.items()}


def run_scan(options: ScanOptions, progress: ProgressFn | None = None) -> ScanResult:
    started = time.monotonic()
    sink = collect(options, progress)
    credentials = deduplicate(sink.hits)
    verdicts = verify(credentials, options)
    assessments: list[Assessment] = []
    for credential in credentials:
        verification, blast = verdicts.get(credential.fingerprint, (NOT_ATTEMPTED, BlastRadius()))
        assessments.append(assess(credential, verification, blast, options.task_env))
    stats = ScanStats(
        roots=tuple(options.roots), files_scanned=sink.files, bytes_scanned=sink.bytes,
        skipped=tuple(sink.skipped), warnings=tuple(sink.warnings),
        sources=_source_stats(sink, options), duration_seconds=round(time.monotonic() - started, 3),
    )
    return ScanResult(stats=stats, assessments=tuple(worst_first(assessments)),
                      filtered=tuple(sink.filtered) if options.show_filtered else ())
