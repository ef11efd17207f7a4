"""The model's hand-written copies (``Location.at``, ``Hit.moved``, ``Hit.dropped``) stay equal to
``dataclasses.replace``, whatever fields the classes gain later."""

from __future__ import annotations

import dataclasses
import pickle

from scanner.model import Hit, Location, SourceKind


def _every_field_set() -> Location:
    """A location whose every field differs from its default, so a field ``at`` forgets shows."""
    values: dict[str, object] = {}
    for spec in dataclasses.fields(Location):
        if spec.name == "source":
            values[spec.name] = SourceKind.GIT_HISTORY
        elif spec.type in ("bool", bool):
            values[spec.name] = spec.default is not True
        elif spec.type in ("int | None", "int"):
            values[spec.name] = 41
        else:
            values[spec.name] = f"value of {spec.name}"
    return Location(**values)  # type: ignore[arg-type]


def test_location_at_equals_dataclasses_replace_on_every_field() -> None:
    origin = _every_field_set()
    moved = origin.at(7, 3)
    assert moved == dataclasses.replace(origin, line=7, column=3)
    for spec in dataclasses.fields(Location):
        if spec.name not in ("line", "column"):
            assert getattr(moved, spec.name) == getattr(origin, spec.name), spec.name
    assert origin.at(None, None) == dataclasses.replace(origin, line=None, column=None)


def test_location_at_keeps_the_printable_path_of_an_undecodable_name() -> None:
    origin = Location("dir/\udcffname.env", None, None, SourceKind.WORKSPACE)
    assert origin.at(2, 1).path == origin.path == "dir/\\xffname.env"


def test_hit_moved_and_dropped_equal_dataclasses_replace() -> None:
    hit = Hit("aws", "aws_access_key", "AKIAQWERTYUIOPASDFGH", _every_field_set(), "aws-key",
              {"secret_access_key": "s" * 40}, specific=False, filtered_by=None)
    elsewhere = Location("other.py", 3, 9, SourceKind.WORKSPACE)
    assert hit.moved(elsewhere) == dataclasses.replace(hit, location=elsewhere)
    assert hit.dropped("placeholder") == dataclasses.replace(hit, filtered_by="placeholder")
    for spec in dataclasses.fields(Hit):
        if spec.name != "location":
            assert getattr(hit.moved(elsewhere), spec.name) == getattr(hit, spec.name), spec.name
        if spec.name != "filtered_by":
            assert getattr(hit.dropped("x"), spec.name) == getattr(hit, spec.name), spec.name
    assert pickle.loads(pickle.dumps(hit.dropped("x"))) == hit.dropped("x")
