"""Issue 17: ``requests`` is imported when something uses it, not with detect-secrets.

Each check runs in a fresh interpreter (the test process has imported requests long ago): an
offline scan, in the parent and in a detection worker, never imports it; the first real use
imports the real package, whatever form the use takes, and everyone then sees the real classes;
only detect-secrets' own import-time annotations get a placeholder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

_PRELOADED = subprocess.run([sys.executable, "-c", "import sys; print('requests' in sys.modules)"],
                            capture_output=True, text=True, timeout=60, check=True).stdout.strip() == "True"
"""Whether this interpreter imports requests at start-up already (a site hook): nothing to defer."""
pytestmark = pytest.mark.skipif(_PRELOADED, reason="this interpreter imports requests at start-up")


def _python(code: str, cwd: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_offline_scan_with_workers_never_imports_requests(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for number in range(30):
        (tree / f"settings_{number}.py").write_text(f"API_KEY = 'sk_live_{number:02d}Zx81Lq0PfTr4Wm2Hc9Vb6Nd3'\n" * 50)
    out = tmp_path / "report.json"
    result = _python(f"""
        import json, os, sys
        os.environ["CREDREACH_PARALLEL_MIN_BYTES"] = "0"
        os.environ["CREDREACH_WORKERS"] = "2"
        from scanner.cli import app
        from scanner.detect import parallel
        try:
            app(["scan", {str(tree)!r}, "--offline", "--format", "json", "--output", {str(out)!r}],
                standalone_mode=False)
        except SystemExit:
            pass
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(1, mp_context=parallel._context(), initializer=parallel._worker_init,
                                 initargs=([],)) as pool:
            in_worker = pool.submit(parallel._modules_loaded, ["requests", "urllib3"]).result()
        print(json.dumps({{"parent": type(sys.modules["requests"]).__name__,
                          "urllib3": "urllib3" in sys.modules, "worker": in_worker}}))
    """, PROJECT_ROOT)

    assert result == {"parent": "DeferredModule", "urllib3": False, "worker": {"requests": "DeferredModule",
                                                                               "urllib3": None}}
    assert json.loads(out.read_text())["credentials"]  # the scan itself found the keys


def test_the_first_use_in_any_form_imports_the_real_package_for_everyone(tmp_path: Path) -> None:
    result = _python("""
        import json, sys
        import scanner.detect.ds_plugins  # detect-secrets imported with the stand-in in place
        stand_in = sys.modules["requests"]
        before = type(stand_in).__name__
        from requests import Session            # from-import
        import requests.adapters                # a submodule
        import requests
        real = sys.modules["requests"]
        print(json.dumps({
            "before": before,
            "after": type(real).__name__,
            "same_session": Session is real.Session and stand_in.Session is real.Session,
            "exceptions": stand_in.exceptions.RequestException is real.exceptions.RequestException,
            "adapters": requests.adapters.HTTPAdapter.__module__,
            "response": stand_in.Response is real.Response,
        }))
    """, tmp_path)

    assert result == {"before": "DeferredModule", "after": "module", "same_session": True, "exceptions": True,
                      "adapters": "requests.adapters", "response": True}


def test_only_detect_secrets_import_time_annotations_get_the_placeholder(tmp_path: Path) -> None:
    result = _python("""
        import json, sys
        from scanner.detect import ds_plugins
        ds_plugins.configure()  # imports every plugin, ibm_cloud_iam's `-> requests.Response` included
        from detect_secrets.plugins import ibm_cloud_iam
        annotation = ibm_cloud_iam.verify_cloud_iam_api_key.__annotations__["return"].__name__
        still_deferred = type(sys.modules["requests"]).__name__
        import requests
        ours = requests.Response  # any other module asking gets the real class, importing requests
        print(json.dumps({"annotation": annotation, "still_deferred": still_deferred,
                          "ours": ours.__module__, "now": type(sys.modules["requests"]).__name__}))
    """, tmp_path)

    assert result == {"annotation": "ResponseAnnotation", "still_deferred": "DeferredModule",
                      "ours": "requests.models", "now": "module"}
