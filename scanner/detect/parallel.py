"""Detection on every core, with results handed back in exactly the order documents arrived.

The sources (walker, git history, stores) stay in the parent process and keep calling
``sink.document()``; the Collector hands each document to :class:`OrderedDetector`, which

* runs small scans inline (a worker pool costs ~0.3 s of CPU per worker to start; below
  ``min_parallel_bytes`` of text it is never started),
* then batches documents (up to ~1 MB each) to worker processes, one per core,
* keeps at most ``2 x workers`` batches *running or queued* in the pool, and waits for whichever
  finishes first, not for the oldest: one slow batch (a 5 MB minified bundle) no longer stalls
  the other worker behind it (finished batches wait, holding only their hits, until the ones
  before them are done),
* detects inline in the parent while no worker has delivered yet (the workers spend their first
  second importing and compiling), instead of waiting for them,
* hands workers the Hyperscan databases the parent compiled (:func:`multimatch.export_all`), so
  each worker loads them in microseconds instead of compiling them again, and
* returns results strictly in submission order, interleaved with hits the sources report
  directly (``passthrough``), so a parallel run reports exactly what a serial run reports.

Why a pool of processes at all: detection is pure Python (detect-secrets' plugins, the
keyword readers) and holds the GIL; threads would take turns on one core.
Measured in ``bench/run.py`` (not in unit tests): the 1-vs-2-worker rows of the medium corpus.
Before this rework the two rows were equal because the run was dominated by serial work in the
parent (the report-wide redaction pass, since removed) and the pool waited on its oldest batch.

Workers are started with ``spawn`` (a fresh interpreter): the parent may be running threads
(the progress display), which ``fork`` would copy mid-lock, and unlike ``forkserver`` the
workers stay children of the scanning process, so their CPU time is accounted to it. They
ignore SIGINT; the parent handles Ctrl-C and tears the pool down.

``CREDREACH_WORKERS=1`` forces serial detection; ``CREDREACH_WORKERS=N`` sets the pool size;
``CREDREACH_PARALLEL_MIN_BYTES`` the size from which the pool is used (tests set it to 0).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from scanner.detect import multimatch
from scanner.detect.engine import detect
from scanner.model import Hit
from scanner.sources.base import Document

T = TypeVar("T")
Ready = list[tuple[T, list[Hit]]]

WORKERS_ENV = "CREDREACH_WORKERS"
MIN_BYTES_ENV = "CREDREACH_PARALLEL_MIN_BYTES"
DEFAULT_MIN_PARALLEL_BYTES = 4 * 1024 * 1024
BATCH_BYTES = 1024 * 1024
BATCH_DOCS = 256


def default_workers() -> int:
    """Pool size: ``CREDREACH_WORKERS`` if set, else the CPUs this process may run on."""
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


class DetectionFailed(list[Hit]):
    """No hits, because detection raised on this document: the collector reports it as skipped.

    An empty ``list`` subclass so results keep one type and pickle back from a worker; one
    file's content must never end a scan, serial or parallel.
    """

    def __init__(self, path: str, error: str) -> None:
        super().__init__()
        self.path = path
        self.error = error


def safe_detect(doc: Document, use_detect_secrets: bool) -> list[Hit]:
    try:
        return detect(doc, use_detect_secrets=use_detect_secrets)
    except Exception as exc:  # noqa: BLE001 - reported as a skipped file, never fatal
        return DetectionFailed(doc.origin.path, type(exc).__name__)


def detect_batch(documents: Sequence[Document], use_detect_secrets: bool) -> list[list[Hit]]:
    """Worker entry point: detect() on each document, results in the same order."""
    return [safe_detect(doc, use_detect_secrets) for doc in documents]


def _context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("spawn")


@dataclass
class _Slot(Generic[T]):
    """One entry of the ordered queue: a batch in a worker, or results already known."""

    tags: list[T]
    future: Future[list[list[Hit]]] | None = None
    docs: list[Document] = field(default_factory=list)
    """The batch's documents, kept until its results arrive: re-detected here if the pool dies."""
    results: list[list[Hit]] = field(default_factory=list)
    size: int = 0


class OrderedDetector(Generic[T]):
    """Runs :func:`detect` on documents, inline or in worker processes, results in order."""

    def __init__(self, use_detect_secrets: bool = True, workers: int | None = None,
                 min_parallel_bytes: int | None = None) -> None:
        self.use_detect_secrets = use_detect_secrets
        self.workers = default_workers() if workers is None else max(1, workers)
        self.min_parallel_bytes = (default_min_parallel_bytes() if min_parallel_bytes is None
                                   else min_parallel_bytes)
        self._seen_bytes = 0
        self._pool: ProcessPoolExecutor | None = None
        self._queue: deque[_Slot[T]] = deque()
        self._running: set[Future[list[list[Hit]]]] = set()
        self._delivered = False
        """Whether any worker has returned a batch yet (until then the parent helps out)."""
        self._batch: list[Document] = []
        self._batch_tags: list[T] = []
        self._batch_bytes = 0
        self._broken = False
        """A worker died (killed, out of memory): detect inline from then on."""

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def submit(self, doc: Document, tag: T) -> Ready[T]:
        """Queue a document; returns every result now ready, in submission order."""
        self._seen_bytes += len(doc.text)
        if self._broken or (self._pool is None and (self.workers < 2 or self._seen_bytes <= self.min_parallel_bytes)):
            return self.passthrough(tag, safe_detect(doc, self.use_detect_secrets))
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                             initializer=_worker_init, initargs=(multimatch.export_all(),))
        if not self._delivered and self._full():
            self._poll()
            if not self._delivered:  # the workers are still starting: detect here meanwhile
                return self.passthrough(tag, safe_detect(doc, self.use_detect_secrets))
        self._batch.append(doc)
        self._batch_tags.append(tag)
        self._batch_bytes += len(doc.text)
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_DOCS:
            self._flush_batch()
        while self._full():
            self._wait_any()
        return self._ready()

    def passthrough(self, tag: T, hits: list[Hit]) -> Ready[T]:
        """Results known already (a source's own hits, an inline detection), kept in order."""
        self._flush_batch()
        self._queue.append(_Slot([tag], results=[hits]))
        return self._ready()

    def finish(self) -> Ready[T]:
        """Every remaining result, in order; the pool is shut down."""
        self._flush_batch()
        try:
            ready: Ready[T] = []
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
        return len(self._running) >= 2 * self.workers

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

    def _flush_batch(self) -> None:
        if not self._batch:
            return
        assert self._pool is not None
        try:
            future = self._pool.submit(detect_batch, self._batch, self.use_detect_secrets)
        except Exception:  # noqa: BLE001 - BrokenProcessPool: a worker died; detect this batch here
            self._broken = True
            results = [safe_detect(doc, self.use_detect_secrets) for doc in self._batch]
            self._queue.append(_Slot(self._batch_tags, results=results))
            self._batch, self._batch_tags, self._batch_bytes = [], [], 0
            return
        self._running.add(future)
        self._queue.append(_Slot(self._batch_tags, future=future, docs=self._batch, size=self._batch_bytes))
        self._batch, self._batch_tags, self._batch_bytes = [], [], 0

    def _ready(self) -> Ready[T]:
        """Pop the finished slots at the front of the queue, in order (never waits)."""
        ready: Ready[T] = []
        while self._queue:
            slot = self._queue[0]
            if slot.future is not None:
                if not slot.future.done():
                    break
                try:
                    slot.results = slot.future.result()
                except Exception:  # noqa: BLE001 - the pool broke (a worker was killed): redo here
                    self._broken = True
                    slot.results = [safe_detect(doc, self.use_detect_secrets) for doc in slot.docs]
                self._running.discard(slot.future)
                slot.future, slot.docs = None, []
            self._queue.popleft()
            ready.extend(zip(slot.tags, slot.results, strict=True))
        return ready
