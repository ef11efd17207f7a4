"""Issue 17: a worker's results cross to the parent as plain tuples (:func:`pack_results`).

The parent unpickles every hit while the workers go on detecting on the same cores; packed, each
file's place is sent once and each object is rebuilt with one constructor call. What arrives must
be exactly what was detected: every field of every hit and location, and the result types the
collector tells apart (a file read by the worker, a file it could not read, a failed detection).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from scanner.detect.parallel import (
    DetectionFailed,
    FileHits,
    NotRead,
    detect_batch,
    pack_results,
    unpack_results,
)
from scanner.model import Hit, Location, SourceKind
from scanner.sources.base import Document, FileRef

TOKEN = "ghp_" + "k3Lm9QzR7vT2wX8yB4nC6dF1gH5jJ0aPsE2u"
AWS_ID = "AKIA" + "ZQ3LM7XW2RT5VB9N"
AWS_SECRET = "Xq8/" + "T3kLm9QzR7vT2wX8yB4nC6dF1gH5jJ0aPsE"


def _round_trip(results: list[list[Hit]]) -> list[list[Hit]]:
    return unpack_results(pickle.loads(pickle.dumps(pack_results(results), protocol=pickle.HIGHEST_PROTOCOL)))


def _fields(hits: list[Hit]) -> list[tuple[object, ...]]:
    return [(h.provider, h.kind, h.secret, h.location, h.rule, dict(h.companions), h.specific, h.filtered_by)
            for h in hits]


def test_every_field_of_every_hit_and_location_arrives_unchanged() -> None:
    home = Location("/home/u/.aws/credentials", None, None, SourceKind.HOME, readable=True, store="aws-credentials",
                    profile="prod")
    history = Location("git:0123abcd:config/app.env", None, None, SourceKind.GIT_HISTORY, tracked=True,
                       commit="0123abcd", author_date="2026-01-02T03:04:05Z", history_only=True)
    ignored = Location(".env", None, None, SourceKind.WORKSPACE, readable=False, gitignored=True)
    first = [Hit("aws", "access_key", AWS_ID, home.at(3, 19), "aws-access-key-id",
                 companions={"secret_access_key": AWS_SECRET}),
             Hit("github", "classic_pat", TOKEN, history.at(7, 1), "github-pat"),
             Hit("generic", "generic_secret", "hunter2hunter2", ignored.at(1, 10), "KeywordDetector",
                 specific=False, filtered_by="placeholder")]
    second: list[Hit] = []
    results = [first, second, [first[1].moved(ignored.at(2, 5))]]

    restored = _round_trip(results)

    assert [_fields(r) for r in restored] == [_fields(r) for r in results]
    assert [type(r) for r in restored] == [list, list, list]


def test_the_result_kinds_the_collector_tells_apart_keep_their_type_and_details() -> None:
    place = Location("src/app.py", None, None, SourceKind.WORKSPACE)
    hit = Hit("github", "classic_pat", TOKEN, place.at(4, 8), "github-pat")
    results = [FileHits([hit], "src/app.py", 321, True, b"k" * 16, reused=False),
               FileHits([], "src/empty.py", 0, False, None, reused=True),
               NotRead("src/gone.py", "vanished since it was listed"),
               DetectionFailed("src/odd.py", "RecursionError")]

    file_hits, empty, not_read, failed = _round_trip(results)  # type: ignore[misc]

    assert isinstance(file_hits, FileHits) and _fields(file_hits) == _fields([hit])
    assert (file_hits.path, file_hits.size, file_hits.lossy, file_hits.key, file_hits.reused) == \
        ("src/app.py", 321, True, b"k" * 16, False)
    assert isinstance(empty, FileHits) and list(empty) == [] and empty.reused and empty.key is None
    assert isinstance(not_read, NotRead) and (not_read.path, not_read.reason) == \
        ("src/gone.py", "vanished since it was listed")
    assert isinstance(failed, DetectionFailed) and (failed.path, failed.error) == ("src/odd.py", "RecursionError")


def test_a_worker_batch_over_real_files_and_documents_unpacks_to_what_serial_detection_finds(tmp_path: Path) -> None:
    from scanner.detect.parallel import detect_item

    env = tmp_path / "app.env"
    env.write_text(f"GITHUB_TOKEN={TOKEN}\nAWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")
    plain = tmp_path / "readme.txt"
    plain.write_text("nothing to see\n")
    origin = Location(str(env), None, None, SourceKind.WORKSPACE)
    text = f"token = '{TOKEN}'\n"
    doc = Document(text=text, origin=Location("git:abc:x.py", None, None, SourceKind.GIT_HISTORY, commit="abc"),
                   size=len(text))
    items = [FileRef(str(env), origin, 0, 1 << 20, False),
             FileRef(str(plain), Location(str(plain), None, None, SourceKind.WORKSPACE), 0, 1 << 20, False),
             FileRef(str(tmp_path / "gone.txt"), Location(str(tmp_path / "gone.txt"), None, None,
                                                          SourceKind.WORKSPACE), 0, 1 << 20, False),
             doc]

    from_worker = unpack_results(pickle.loads(pickle.dumps(detect_batch(items, True))))
    serial = [detect_item(item, True, {}) for item in items]

    assert [type(r) for r in from_worker] == [type(r) for r in serial]
    assert [_fields(r) for r in from_worker] == [_fields(r) for r in serial]
    assert any(h.secret == TOKEN for h in from_worker[0]) and any(h.secret == TOKEN for h in from_worker[3])


def test_the_batch_left_when_the_input_ends_is_shared_with_this_process_and_kept_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.detect import parallel
    from scanner.detect.parallel import OrderedDetector

    detector: OrderedDetector[int] = OrderedDetector(workers=2, min_parallel_bytes=0)
    sent: list[int] = []
    detected_here: list[str] = []
    real_flush, real_inline = OrderedDetector._flush_batch, OrderedDetector._inline

    def counting_flush(self: OrderedDetector[int]) -> None:
        if self._batch:
            sent.append(len(self._batch))
        real_flush(self)

    def counting_inline(self: OrderedDetector[int], item: parallel.Item) -> list[Hit]:
        detected_here.append(item.origin.path)
        return real_inline(self, item)

    monkeypatch.setattr(OrderedDetector, "_flush_batch", counting_flush)
    monkeypatch.setattr(OrderedDetector, "_inline", counting_inline)
    docs = [Document(text, Location(f"f{i}.env", None, None, SourceKind.WORKSPACE), len(text))
            for i, text in enumerate(f"TOKEN_{n}={TOKEN[:-2]}{n:02d}\n" + "x = 1\n" * 500 for n in range(8))]
    ready: list[tuple[int, list[Hit]]] = []
    for number, doc in enumerate(docs):
        ready.extend(detector.submit(doc, number))
    assert sum(len(doc.text) for doc in docs) < parallel.BATCH_BYTES  # all eight wait in one batch
    assert detector.pool_size == 1  # two detecting processes: one worker and this one
    ready.extend(detector.finish())

    assert sent == [4]  # half to the worker...
    assert detected_here == [f"f{n}.env" for n in range(4, 8)]  # ...half here, not all sent to one
    assert [tag for tag, _ in ready] == list(range(8))
    assert [[h.secret for h in hits if h.filtered_by is None] for _, hits in ready] == \
        [[f"{TOKEN[:-2]}{n:02d}"] for n in range(8)]


def test_this_process_detects_small_files_while_the_pool_is_busy_and_order_is_kept(tmp_path: Path) -> None:
    from scanner.detect.parallel import OrderedDetector

    detector: OrderedDetector[int] = OrderedDetector(workers=2, min_parallel_bytes=0)
    paths = []
    for number in range(60):
        path = tmp_path / f"app{number}.env"
        path.write_text(f"GITHUB_TOKEN={TOKEN[:-2]}{number:02d}\n" + "# filler line\n" * 4000)
        paths.append(path)
    ready: list[tuple[int, list[Hit]]] = []
    for number, path in enumerate(paths):
        origin = Location(str(path), None, None, SourceKind.WORKSPACE)
        ready.extend(detector.submit(FileRef(str(path), origin, path.stat().st_size, 1 << 20, False), number))
    ready.extend(detector.finish())

    assert [tag for tag, _ in ready] == list(range(60))
    assert [[h.secret for h in hits if h.filtered_by is None] for _, hits in ready] == \
        [[f"{TOKEN[:-2]}{n:02d}"] for n in range(60)]
