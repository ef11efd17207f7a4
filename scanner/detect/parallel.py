"""Detection on every core, with results handed back in exactly the order documents arrived.

The sources (walker, git history, stores) stay in the parent process. The walker hands over
each file it vetted as a :class:`~scanner.sources.base.FileRef` (path, location, size, no text):
once the pool runs, the *worker* reads, decodes, hashes and detects it, so the parent only lists
directories instead of reading every byte and copying it to a worker (which kept one core busy
and left the workers waiting). Other sources hand over documents. The Collector passes both to
:class:`OrderedDetector`, which

* runs small scans inline (a worker pool costs ~0.15 s of CPU per worker to start; below
  ``min_parallel_bytes`` of text it is never started),
* then batches documents (up to ~1 MB each) to worker processes, one per core (on two cores one
  worker, and this process detects whatever comes while that worker is busy),
* keeps at most ``pool size + 1`` batches *running or queued* in the pool (what CPython's executor
  moves to its call queue at once; a deeper queue left up to three megabytes behind when the input
  ended, detected by whichever worker held them while the other had none), splits the batch left
  at the end between the workers and this process, and waits for whichever
  finishes first, not for the oldest: one slow batch (a 5 MB minified bundle) no longer stalls
  the other worker behind it (finished batches wait, holding only their hits, until the ones
  before them are done),
* detects inline in the parent while no worker has delivered yet (the workers spend their first
  tenths of a second importing), instead of waiting for them,
* hands workers the Hyperscan databases the parent compiled (:func:`multimatch.export_all`), so
  each worker loads them in microseconds instead of compiling them again, and
* returns results strictly in submission order, interleaved with hits the sources report
  directly (``passthrough``) and with their skips and warnings (``note``, which never cuts a
  batch short), so a parallel run reports exactly what a serial run reports, in the same order
  (a file a worker could not read comes back as :class:`NotRead`, reported where the walk met it).

Why a pool of processes at all: detection is pure Python (detect-secrets' plugins, the
keyword readers) and holds the GIL; threads would take turns on one core.
Measured in ``bench/run.py`` (not in unit tests): the 1-vs-2-worker rows of the medium corpus.
Before this rework the two rows were equal because the run was dominated by serial work in the
parent (the report-wide redaction pass, since removed) and the pool waited on its oldest batch.

Workers are started with ``spawn`` (a fresh interpreter): the parent may be running threads
(the progress display), which ``fork`` would copy mid-lock, and unlike ``forkserver`` the
workers stay children of the scanning process, so their CPU time is accounted to it. They
ignore SIGINT; the parent handles Ctrl-C and tears the pool down.

``CREDREACH_WORKERS=1`` forces serial detection; ``CREDREACH_WORKERS=N`` sets how many processes
detect (this one included when N is 2);
``CREDREACH_PARALLEL_MIN_BYTES`` the size from which the pool is used (tests set it to 0).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import re
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from scanner.detect import multimatch
from scanner.detect.ds_plugins import detection_name
from scanner.detect.engine import detect
from scanner.model import Hit, Location, SourceKind, restore_hit
from scanner.sources.base import Document, FileRef, SkipReason, read_document

T = TypeVar("T")
Ready = list[tuple[T, list[Hit]]]
Item = Document | FileRef
"""What a source hands to detection: a text, or a vetted file a worker reads itself."""
ContentKey = bytes

WORKERS_ENV = "CREDREACH_WORKERS"
MIN_BYTES_ENV = "CREDREACH_PARALLEL_MIN_BYTES"
DEFAULT_MIN_PARALLEL_BYTES = 4 * 1024 * 1024
BATCH_BYTES = 1024 * 1024
BATCH_DOCS = 256
MIN_BATCH_BYTES = 32 * 1024
"""Smallest batch near the known end of the input (a history whose blob sizes git gave)."""


def default_workers() -> int:
    """Detecting processes: ``CREDREACH_WORKERS`` if set, else the CPUs this process may run on."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_min_parallel_bytes() -> int:
    configured = os.environ.get(MIN_BYTES_ENV, "").strip()
    try:
        return max(0, int(configured)) if configured else DEFAULT_MIN_PARALLEL_BYTES
    except ValueError:
        return DEFAULT_MIN_PARALLEL_BYTES


def _worker_init(compiled: list[tuple[multimatch.Key, multimatch.Compiled]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    multimatch.preload(compiled)
    from scanner.detect import ds_plugins

    ds_plugins.configure()
    gc.freeze()  # imports and compiled rules live as long as the worker: no collection walks them


class DetectionFailed(list[Hit]):
    """No hits, because detection raised on this document: the collector reports it as skipped.

    An empty ``list`` subclass so results keep one type and pickle back from a worker; one
    file's content must never end a scan, serial or parallel.
    """

    def __init__(self, path: str, error: str) -> None:
        super().__init__()
        self.path = path
        self.error = error


class NotRead(list[Hit]):
    """No hits, because the file could not be read where it was detected (vanished, binary, grown
    over the size limit, replaced by a FIFO or a symlink since the walk): reported as skipped."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__()
        self.path = path
        self.reason = reason


class FileHits(list[Hit]):
    """The hits of a file a worker read itself, with what the collector needs to know of the read:
    its size, whether it was not valid UTF-8, its content key, and whether its hits were reused."""

    def __init__(self, hits: list[Hit], path: str, size: int, lossy: bool, key: ContentKey | None,
                 reused: bool) -> None:
        super().__init__(hits)
        self.path = path
        self.size = size
        self.lossy = lossy
        self.key = key
        self.reused = reused


def content_key(doc: Document) -> ContentKey | None:
    """What detection's answer for a whole-file document depends on: its text, its file name
    (extension, lock files, the keyword reader's code/config split) and whether its path looks like
    a swagger file (detect-secrets' filter). None for fragments and environment documents."""
    if doc.origin.line is not None or doc.hosts or not doc.text:
        return None
    path = detection_name(doc.origin.path)
    # One 16-byte digest of all three (a tree of 70,000 files keeps 70,000 keys in memory).
    digest = hashlib.blake2b(doc.text.encode("utf-8", "surrogatepass"), digest_size=16)
    digest.update(b"\0" + path.rsplit("/", 1)[-1].encode("utf-8", "surrogatepass"))
    digest.update(b"\1" if _SWAGGER.search(path) is not None else b"\0")
    return digest.digest()


_SWAGGER = re.compile(r".*swagger.*")  # detect_secrets.filters.heuristic._get_swagger_regex


def relocate(hits: list[Hit], doc: Document) -> list[Hit]:
    """Hits detected on identical content elsewhere, moved to this document's location."""
    return [h.moved(doc.origin.at(h.location.line, h.location.column)) for h in hits]


def safe_detect(doc: Document, use_detect_secrets: bool) -> list[Hit]:
    try:
        return detect(doc, use_detect_secrets=use_detect_secrets)
    except Exception as exc:  # noqa: BLE001 - reported as a skipped file, never fatal
        return DetectionFailed(doc.origin.path, type(exc).__name__)


NO_HITS: list[Hit] = []
"""Shared by every file without hits in a content map (never appended to)."""
_WORKER_CONTENT: dict[ContentKey, list[Hit]] = {}
"""A worker's own hits by content: copies that land in the same worker are detected once."""
WORKER_CONTENT_ENTRIES = 4096
"""Bound of that map (started afresh when full): a worker's memory must not grow with the tree."""


def detect_item(item: Item, use_detect_secrets: bool,
                known: dict[ContentKey, list[Hit]] | None = None) -> list[Hit]:
    """detect() on a document, or on a file read here first (:class:`FileHits` / :class:`NotRead`)."""
    if isinstance(item, Document):
        return safe_detect(item, use_detect_secrets)
    try:
        doc = read_document(item)
    except Exception as exc:  # noqa: BLE001 - one file never ends a scan
        return NotRead(item.path, f"could not be read ({type(exc).__name__})")
    if isinstance(doc, SkipReason):
        return NotRead(item.path, doc)
    key = content_key(doc)
    cache = _WORKER_CONTENT if known is None else known
    seen = cache.get(key) if key is not None else None
    if seen is not None:
        return FileHits(relocate(seen, doc), doc.origin.path, doc.size, doc.decoded_with_errors, key, reused=True)
    hits = safe_detect(doc, use_detect_secrets)
    if isinstance(hits, DetectionFailed):
        return hits
    if key is not None:
        if known is None and len(cache) >= WORKER_CONTENT_ENTRIES:
            cache.clear()
        cache[key] = hits if hits else NO_HITS
    return FileHits(hits, doc.origin.path, doc.size, doc.decoded_with_errors, key, reused=False)


def detect_batch(items: Sequence[Item], use_detect_secrets: bool) -> Packed:
    """Worker entry point: detection on each item, results in the same order (packed)."""
    return pack_results([detect_item(item, use_detect_secrets) for item in items])


PlaceKey = tuple[str, SourceKind, bool, bool, bool, str | None, str | None, str | None, str | None, bool]
"""A location's fields but its line and column, in :class:`Location`'s order (path first)."""
PackedHit = tuple[str, str, str, int, int | None, int | None, str, dict[str, str] | None, bool, str | None]
"""provider, kind, secret, place index, line, column, rule, companions, specific, filtered_by."""
Packed = tuple[list[PlaceKey], list[tuple[tuple[object, ...], list[PackedHit]]]]


def pack_results(results: list[list[Hit]]) -> Packed:
    """A batch's results as tuples of plain values, each file's place sent once.

    Why: the parent unpickles every hit the workers find while they go on detecting, on the same
    cores. Pickled as objects, a hit cost the parent ~14 us (a frozen dataclass's ``__setstate__``
    per Location, a list subclass per file); as tuples it is one constructor call per object.
    """
    places: dict[PlaceKey, int] = {}
    packed: list[tuple[tuple[object, ...], list[PackedHit]]] = []
    for hits in results:
        encoded: list[PackedHit] = []
        for hit in hits:
            loc = hit.location
            place: PlaceKey = (loc.path, loc.source, loc.readable, loc.gitignored, loc.tracked, loc.store,
                               loc.profile, loc.commit, loc.author_date, loc.history_only)
            index = places.setdefault(place, len(places))
            encoded.append((hit.provider, hit.kind, hit.secret, index, loc.line, loc.column, hit.rule,
                            dict(hit.companions) if hit.companions else None, hit.specific, hit.filtered_by))
        meta: tuple[object, ...]
        if isinstance(hits, FileHits):
            meta = (_FILE, hits.path, hits.size, hits.lossy, hits.key, hits.reused)
        elif isinstance(hits, NotRead):
            meta = (_NOT_READ, hits.path, hits.reason)
        elif isinstance(hits, DetectionFailed):
            meta = (_FAILED, hits.path, hits.error)
        else:
            meta = (_PLAIN,)
        packed.append((meta, encoded))
    return list(places), packed


_PLAIN, _FILE, _NOT_READ, _FAILED = range(4)


def unpack_results(packed: Packed) -> list[list[Hit]]:
    """The results :func:`pack_results` packed, equal to what was detected (tests/test_packed_results.py)."""
    places, batch = packed
    results: list[list[Hit]] = []
    for meta, encoded in batch:
        hits: list[Hit] = []
        for provider, kind, secret, index, line, column, rule, companions, specific, filtered_by in encoded:
            p = places[index]
            hits.append(restore_hit(provider, kind, secret,
                                    Location(p[0], line, column, p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]),
                                    rule, companions, specific, filtered_by))
        code = meta[0]
        if code == _FILE:
            results.append(FileHits(hits, *meta[1:]))  # type: ignore[arg-type]
        elif code == _NOT_READ:
            results.append(NotRead(*meta[1:]))  # type: ignore[arg-type]
        elif code == _FAILED:
            results.append(DetectionFailed(*meta[1:]))  # type: ignore[arg-type]
        else:
            results.append(hits)
    return results


def _modules_loaded(names: list[str]) -> dict[str, str | None]:
    """Type of each module a worker has in ``sys.modules`` (tests: what a worker never imports)."""
    return {name: type(sys.modules[name]).__name__ if name in sys.modules else None for name in names}


def _warm_up() -> Packed:
    """A first task that only makes a worker start (imports, databases): nothing to detect."""
    return [], []


def _context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("spawn")


@dataclass
class _Slot(Generic[T]):
    """One entry of the ordered queue: a batch in a worker, or results already known."""

    tags: list[T]
    future: Future[Packed] | None = None
    docs: list[Item] = field(default_factory=list)
    """The batch's documents, kept until its results arrive: re-detected here if the pool dies."""
    results: list[list[Hit]] = field(default_factory=list)
    size: int = 0
    after: list[T] = field(default_factory=list)
    """Notes (skips, warnings) made after this slot's items and before the next slot's."""


class OrderedDetector(Generic[T]):
    """Runs :func:`detect` on documents, inline or in worker processes, results in order."""

    def __init__(self, use_detect_secrets: bool = True, workers: int | None = None,
                 min_parallel_bytes: int | None = None,
                 known: dict[ContentKey, list[Hit]] | None = None) -> None:
        self.use_detect_secrets = use_detect_secrets
        self.known: dict[ContentKey, list[Hit]] = {} if known is None else known
        """Hits by content for files this process reads itself (the collector's own map)."""
        self.workers = default_workers() if workers is None else max(1, workers)
        """Processes that detect (the cores to use)."""
        self.pool_size = 1 if self.workers == 2 else self.workers
        """Worker processes. On two cores this process is the second detector: one worker fewer to
        start (~0.15 s of CPU) and half the hits crossing processes; measured 3% faster on medium
        and 7% on small (bench/README, seventh round). On more cores, unmeasured here, this process
        only feeds the pool, one worker per core."""
        self._helps = self.pool_size < self.workers
        self.min_parallel_bytes = (default_min_parallel_bytes() if min_parallel_bytes is None
                                   else min_parallel_bytes)
        self._seen_bytes = 0
        self._pool: ProcessPoolExecutor | None = None
        self._queue: deque[_Slot[T]] = deque()
        self._running: set[Future[Packed]] = set()
        self._delivered = False
        """Whether any worker has returned a batch yet (until then the parent helps out)."""
        self._batch: list[Item] = []
        self._batch_tags: list[T] = []
        self._batch_bytes = 0
        self._batch_after: list[T] = []
        self._broken = False
        """A worker died (killed, out of memory): detect inline from then on."""
        self._left: int | None = None
        """Bytes still to come after those submitted, when the source knows (:meth:`expect`)."""

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def will_pool(self, size: int) -> bool:
        """Whether an item of ``size`` bytes submitted now would go to the worker pool."""
        return not self._broken and (self._pool is not None or (
            self.workers >= 2 and self._seen_bytes + size > self.min_parallel_bytes))

    def prepare(self, expected_bytes: Callable[[], int]) -> None:
        """Start the workers now if ``expected_bytes()`` more text is known to come (a tree or a git
        history that large): they start while the source is still listing, not after. The estimate
        (an lstat walk, a git call) is made only when it could start the pool."""
        if self._pool is None and not self._broken and self.workers >= 2 \
                and self.will_pool(expected_bytes()):
            pool = self._start_pool()
            for _ in range(self.pool_size):  # one task each: the executor starts a process per task
                self._running.add(pool.submit(_warm_up))

    def expect(self, left_bytes: int) -> None:
        """Only ``left_bytes`` more input comes after what was submitted (a history's blob sizes are
        known before any is read; the source says so as it goes): batches shrink as the end nears,
        so the workers finish together instead of one detecting a last full batch alone."""
        self._left = max(0, left_bytes)

    def _batch_limit(self) -> int:
        if self._left is None:
            return BATCH_BYTES
        # In flight at the end: about workers + 1 batches; each a fraction of what is left.
        return max(MIN_BATCH_BYTES, min(BATCH_BYTES, self._left // (4 * self.workers)))

    def _start_pool(self) -> ProcessPoolExecutor:
        self._pool = ProcessPoolExecutor(max_workers=self.pool_size, mp_context=_context(),
                                         initializer=_worker_init, initargs=(multimatch.export_all(),))
        return self._pool

    def submit(self, doc: Item, tag: T) -> Ready[T]:
        """Queue a document or a file; returns every result now ready, in submission order."""
        size = doc.size if isinstance(doc, FileRef) else len(doc.text)
        pooled = self.will_pool(size)
        self._seen_bytes += size
        if not pooled:
            return self.passthrough(tag, self._inline(doc))
        if self._pool is None:
            self._start_pool()
        if self._full():
            self._poll()
        if self._full():
            if self._helps or not self._delivered:
                # The pool is busy (or its workers are still starting): detect here instead of waiting.
                return self.passthrough(tag, self._inline(doc))
            while self._full():
                self._wait_any()
        self._batch.append(doc)
        self._batch_tags.append(tag)
        self._batch_bytes += size
        if self._batch_bytes >= self._batch_limit() or len(self._batch) >= BATCH_DOCS:
            self._flush_batch()
        return self._ready()

    def _inline(self, item: Item) -> list[Hit]:
        return detect_item(item, self.use_detect_secrets, self.known)

    def note(self, tag: T) -> Ready[T]:
        """Something to apply in order with the results, a skip or a warning, without closing the
        batch being filled (the walk skips thousands of paths; each must not cut a batch short)."""
        if self._batch:
            self._batch_after.append(tag)
        elif self._queue:
            self._queue[-1].after.append(tag)
        else:
            return [(tag, [])]
        return []

    def passthrough(self, tag: T, hits: list[Hit]) -> Ready[T]:
        """Results known already (a source's own hits, an inline detection), kept in order."""
        self._flush_batch()
        self._queue.append(_Slot([tag], results=[hits]))
        return self._ready()

    def finish(self) -> Ready[T]:
        """Every remaining result, in order; the pool is shut down."""
        try:
            ready: Ready[T] = self._flush_last_batch()
            while self._queue:
                ready.extend(self._ready())
                if self._queue:
                    self._wait_any()
            return ready
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers without waiting for pending work (after an error or Ctrl-C)."""
        pool, self._pool = self._pool, None
        self._running.clear()
        if pool is None:
            return
        if self._broken:
            # A dead worker breaks the pool, and CPython's executor then joins the survivors; one
            # it started as a replacement can sit in its queue forever, and shutdown() with it
            # (seen with 3.11). Nothing they hold is needed any more: end them first.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    process.kill()
        pool.shutdown(wait=True, cancel_futures=True)

    def _full(self) -> bool:
        return len(self._running) >= self.pool_size + 1

    def _poll(self) -> None:
        done = {f for f in self._running if f.done()}
        if done:
            self._running -= done
            self._delivered = True

    def _wait_any(self) -> None:
        """Block until at least one running batch is done (or nothing runs)."""
        if not self._running:
            return
        done, _ = wait(self._running, return_when=FIRST_COMPLETED)
        self._running -= done
        self._delivered = True

    def _flush_last_batch(self) -> Ready[T]:
        """The batch being filled when the input ends, shared by every detecting process: the
        workers get one share each, this process detects the last one itself (sent whole, the last
        megabyte went to one worker while the others had nothing left to do)."""
        if self._pool is None or self._broken or len(self._batch) < 2:
            self._flush_batch()
            return []
        items, tags, after = self._batch, self._batch_tags, self._batch_after
        sizes = [doc.size if isinstance(doc, FileRef) else len(doc.text) for doc in items]
        share = max(1, sum(sizes) // self.workers)
        self._batch, self._batch_tags, self._batch_bytes, self._batch_after = [], [], 0, []
        position, shares = 0, 0
        while position < len(items) and shares < self.workers - 1:
            self._batch.append(items[position])
            self._batch_tags.append(tags[position])
            self._batch_bytes += sizes[position]
            position += 1
            if self._batch_bytes >= share:
                self._flush_batch()
                shares += 1
        ready: Ready[T] = []
        for item, tag in zip(items[position:], tags[position:], strict=True):
            ready.extend(self.passthrough(tag, self._inline(item)))
        self._flush_batch()
        for tag in after:
            ready.extend(self.note(tag))
        return ready

    def _flush_batch(self) -> None:
        if not self._batch:
            return
        assert self._pool is not None
        try:
            future = self._pool.submit(detect_batch, self._batch, self.use_detect_secrets)
        except Exception:  # noqa: BLE001 - BrokenProcessPool: a worker died; detect this batch here
            self._broken = True
            results = [self._inline(doc) for doc in self._batch]
            self._queue.append(_Slot(self._batch_tags, results=results, after=self._batch_after))
        else:
            self._running.add(future)
            self._queue.append(_Slot(self._batch_tags, future=future, docs=self._batch, size=self._batch_bytes,
                                     after=self._batch_after))
        self._batch, self._batch_tags, self._batch_bytes, self._batch_after = [], [], 0, []

    def _ready(self) -> Ready[T]:
        """Pop the finished slots at the front of the queue, in order (never waits)."""
        ready: Ready[T] = []
        while self._queue:
            slot = self._queue[0]
            if slot.future is not None:
                if not slot.future.done():
                    break
                try:
                    slot.results = unpack_results(slot.future.result())
                except Exception:  # noqa: BLE001 - the pool broke (a worker was killed): redo here
                    self._broken = True
                    slot.results = [self._inline(doc) for doc in slot.docs]
                self._running.discard(slot.future)
                slot.future, slot.docs = None, []
            self._queue.popleft()
            ready.extend(zip(slot.tags, slot.results, strict=True))
            ready.extend((tag, []) for tag in slot.after)
        return ready
