"""The README tells the truth: its commands and example output are what the tool does."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT, run_credreach

README = (PROJECT_ROOT / "README.md").read_text()


def _normalise(line: str) -> str:
    line = re.sub(r"AKIA[A-Z0-9]{2}…[A-Z0-9]{2}", "AKIA…", line)         # moto makes new keys each run
    line = re.sub(r"in \d+\.\d+s", "in Ns", line)
    return line.rstrip()


def test_first_screen_has_the_two_setup_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:12])
    (block,) = re.findall(r"```sh\n(.*?)```", first_screen, re.S)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["pip install -e '.[test]' && credreach demo", "python -m pytest -q"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci and "pip install --quiet -e '.[test]'" in ci


def test_demo_output_in_the_readme_is_the_real_output() -> None:
    block = re.search(r"## What it looks like.*?```text\n(.*?)```", README, re.S)
    assert block
    documented = [_normalise(line) for line in block.group(1).splitlines() if not line.startswith("[…")]
    run = run_credreach("demo", env={"COLUMNS": "200"}, timeout=300)
    assert run.returncode == 0, run.stderr
    actual = {_normalise(line) for line in run.stdout.splitlines()}
    missing = [line for line in documented if line and line not in actual]
    assert not missing, missing


def test_provider_table_matches_credreach_providers() -> None:
    run = run_credreach("providers", "-f", "json")
    import json

    for provider in json.loads(run.stdout):
        row = next((line for line in README.splitlines() if line.startswith(f"| {provider['name']} |")), None)
        assert row is not None, provider["name"]
        for kind in provider["kinds"]:
            assert f"`{kind}`" in row
