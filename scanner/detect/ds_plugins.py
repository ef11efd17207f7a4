"""detect-secrets' plugins and filters, driven line by line on our documents.

We call detect-secrets' own line processing so its filters (allowlist pragmas, heuristics for
UUIDs, templated values, lock files, ...) apply unchanged; we only map its secret types onto
our provider/kind names. Its ``is_invalid_file`` filter is disabled because our documents are
often not files on disk (git blobs, environment variables).

Two paths give the same findings:

* the **fast path** (default) asks :mod:`scanner.detect.prefilter` which lines each plugin can
  flag, and runs detect-secrets' per-line body (line filters, ``_scan_line``, context filters,
  the whole file as context) on those lines with those plugins only;
* the **exact path** (``CREDREACH_NO_FAST_PATH=1``) hands every line to detect-secrets'
  ``_process_line_based_plugins``, as before. ``tests/test_fast_path.py`` compares the two.

Either way hits come out sorted by (line, plugin order, secret), so a run is reproducible across
processes (detect-secrets returns a line's secrets as a set, whose order varies with the hash seed).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.core.scan import _process_line_based_plugins, get_filters_with_parameter
from detect_secrets.settings import get_filters, get_plugins, get_settings
from detect_secrets.util.code_snippet import get_code_snippet
from detect_secrets.util.inject import call_function_with_arguments

from scanner.detect import ds_speedups
from scanner.detect.prefilter import Gate, build_gates, marked_lines
from scanner.detect.rules import KNOWN_PREFIXES, classify_token
from scanner.model import Hit

if TYPE_CHECKING:
    from scanner.detect.engine import LineIndex
    from scanner.sources.base import Document

# Plugins that find things that are not credentials.
_EXCLUDED_PLUGINS = {"IPPublicDetector"}

# detect-secrets type -> (provider, kind, specific)
TYPE_MAP: dict[str, tuple[str, str, bool]] = {
    "AWS Access Key": ("aws", "aws_secret_like", False),
    "GitHub Token": ("github", "github_token", True),
    "GitLab Token": ("gitlab", "gitlab_pat", True),
    "Slack Token": ("slack", "slack_token", True),
    "Stripe Access Key": ("stripe", "stripe_key", True),
    "SendGrid API Key": ("sendgrid", "sendgrid_api_key", True),
    "OpenAI Token": ("openai", "openai_user_key", True),
    "NPM tokens": ("npm", "npm_token", True),
    "PyPI Token": ("pypi", "pypi_token", True),
    "Private Key": ("generic", "private_key", True),
    "JSON Web Token": ("generic", "jwt", False),
    "Basic Auth Credentials": ("generic", "basic_auth_url", False),
    "Secret Keyword": ("generic", "secret_keyword", False),
    "Base64 High Entropy String": ("generic", "high_entropy_string", False),
    "Hex High Entropy String": ("generic", "high_entropy_string", False),
    "Twilio API Key": ("twilio", "twilio_api_key", True),
    "Mailchimp Access Key": ("generic", "mailchimp_api_key", True),
    "Discord Bot Token": ("generic", "discord_bot_token", True),
    "Telegram Bot Token": ("generic", "telegram_bot_token", True),
    "Artifactory Credentials": ("generic", "artifactory_credentials", True),
    "Azure Storage Account access key": ("azure", "azure_storage_key", True),
    "IBM Cloud IAM Key": ("generic", "ibm_cloud_iam_key", True),
    "IBM COS HMAC Credentials": ("generic", "ibm_cos_hmac", True),
    "SoftLayer Credentials": ("generic", "softlayer_credentials", True),
    "Square OAuth Secret": ("generic", "square_oauth_secret", True),
    "Cloudant Credentials": ("generic", "cloudant_credentials", True),
}

_configured = False
_lock = threading.Lock()
_gates: tuple[Gate, ...] | None = None
_plugin_order: dict[str, int] = {}
NO_FAST_PATH_ENV = "CREDREACH_NO_FAST_PATH"


def fast_path_enabled() -> bool:
    """False when ``CREDREACH_NO_FAST_PATH`` is set to anything but ``""``/``0``: run the exact path."""
    return os.environ.get(NO_FAST_PATH_ENV, "") in ("", "0")


def configure() -> None:
    """Enable every detect-secrets plugin (but non-credential ones) with its default filters."""
    global _configured, _gates
    with _lock:
        if _configured:
            return
        logging.getLogger("detect-secrets").setLevel(logging.CRITICAL)
        settings = get_settings()
        plugin_types: list[type] = list(get_mapping_from_secret_type_to_class().values())
        settings.configure_plugins([
            {"name": plugin.__name__}
            for plugin in plugin_types
            if plugin.__name__ not in _EXCLUDED_PLUGINS
        ])
        settings.disable_filters("detect_secrets.filters.common.is_invalid_file")
        ds_speedups.install(settings)  # same answers; no upstream ReDoS on long lines
        get_plugins.cache_clear()
        get_filters.cache_clear()
        plugins = get_plugins()
        _gates = build_gates(plugins)
        _plugin_order.update({plugin.secret_type: i for i, plugin in enumerate(plugins)})
        _configured = True


def gates() -> tuple[Gate, ...]:
    configure()
    assert _gates is not None
    return _gates


def _exact_secrets(text: str, filename: str) -> Iterator[PotentialSecret]:
    """Every line through detect-secrets' own line loop."""
    numbered = list(enumerate(text.split("\n"), start=1))
    yield from _process_line_based_plugins(lines=numbered, filename=filename)


_FilterPlan = tuple[tuple[Callable[..., Any], tuple[str, ...]], ...]
_filter_plans: dict[tuple[int, tuple[str, ...]], _FilterPlan] = {}


def _is_filtered_out(required_filter_parameters: list[str], **kwargs: Any) -> bool:
    """detect-secrets' ``core.scan._is_filtered_out``, with each filter's parameters read once.

    The original asks ``inject.call_function_with_arguments`` to work out, on every call, which
    arguments each filter takes (about half of the fast path's filter time). Same filters
    (``get_filters_with_parameter``), same order, same arguments, same ``TypeError`` skip; only the
    debug log line of a skipped secret is left out (detect-secrets' logger is silenced anyway).
    """
    filters = get_filters()
    key = (id(filters), tuple(required_filter_parameters))
    plan = _filter_plans.get(key)
    if plan is None:
        built: list[tuple[Callable[..., Any], tuple[str, ...]]] = []
        for aware in get_filters_with_parameter(*required_filter_parameters):
            if inspect.ismethod(aware):  # bound methods take their instance: the original path
                built.append((functools.partial(call_function_with_arguments, aware), ("*",)))
            else:
                built.append((aware, tuple(sorted(aware.injectable_variables))))
        plan = _filter_plans[key] = tuple(built)
    for function, names in plan:
        verdict: Any
        try:
            if names == ("*",):
                verdict = function(**kwargs)
            else:
                verdict = function(**{name: kwargs[name] for name in names if name in kwargs})
        except TypeError:
            continue  # a filter that cannot take these arguments is skipped, as upstream does
        if verdict:
            return True
    return False


def _fast_secrets(text: str, filename: str) -> Iterator[PotentialSecret]:
    """The body of ``_process_line_based_plugins`` on the lines the prefilter marked, per plugin.

    For a marked line and plugin this makes the calls ``_process_line_based_plugins`` and
    ``_scan_line`` make: ``analyze_line`` with the line, its number and the whole-file snippet,
    then the ``secret`` and ``context`` filters on each result; the ``line`` filters (which may
    drop the whole line) run once a plugin found something there, which yields the same secrets as
    running them first. Lines and plugins left out are those the prefilter proved cannot yield.
    """
    all_gates = gates()
    marks = marked_lines(text, all_gates)
    if not marks:
        return
    line_content = text.split("\n")
    for line_number in sorted(marks):
        line = line_content[line_number - 1].rstrip()
        code_snippet = None
        line_filtered: bool | None = None
        for index in sorted(marks[line_number][1]):
            gate = all_gates[index]
            if gate.precheck is not None and not gate.precheck(line):
                continue
            if code_snippet is None:
                code_snippet = get_code_snippet(lines=line_content, line_number=line_number)
            plugin = gate.plugin
            if gate.ascii_finders is not None:  # a known plugin: analyze_line takes these four
                found = plugin.analyze_line(filename=filename, line=line, line_number=line_number,
                                            context=code_snippet)
            else:
                found = call_function_with_arguments(plugin.analyze_line, filename=filename, line=line,
                                                     line_number=line_number, context=code_snippet)
            if not found:
                continue
            if line_filtered is None:
                line_filtered = _is_filtered_out(required_filter_parameters=["line"], filename=filename,
                                                 line=line, context=code_snippet)
            if line_filtered:
                break
            for secret in found:
                if _is_filtered_out(required_filter_parameters=["secret"], filename=secret.filename,
                                    secret=secret.secret_value, plugin=plugin, line=line):
                    continue
                if _is_filtered_out(required_filter_parameters=["context"], filename=secret.filename,
                                    secret=secret.secret_value, plugin=plugin, line=line,
                                    context=code_snippet):
                    continue
                yield secret


def detection_name(path: str) -> str:
    """The file name detect-secrets' filename rules see: ``git:COMMIT:a/b.json`` -> ``a/b.json``, so a
    blob in history is judged like the same file in the work tree (lock files, extensions)."""
    if path.startswith("git:"):
        return path.split(":", 2)[-1]
    return path


def raw_secrets(text: str, filename: str, fast: bool | None = None) -> list[PotentialSecret]:
    """detect-secrets' findings on ``text``, sorted by (line, plugin order, secret value)."""
    configure()
    use_fast = fast_path_enabled() if fast is None else fast
    found = list((_fast_secrets if use_fast else _exact_secrets)(text, filename))
    found.sort(key=lambda s: (s.line_number, _plugin_order.get(s.type, len(_plugin_order)),
                              s.secret_value or ""))
    return found


def scan_lines(doc: Document, index: LineIndex, fast: bool | None = None) -> Iterator[Hit]:
    """Yield detect-secrets hits for the document (fast or exact path, same findings)."""
    for secret in raw_secrets(doc.text, detection_name(doc.origin.path), fast):
        value = secret.secret_value
        if not value:
            continue
        provider, kind, specific = TYPE_MAP.get(secret.type, ("generic", "generic_secret", False))
        line_text = index.line_text(secret.line_number) if secret.line_number <= index.line_count else ""
        if specific and _is_cut(value):
            # A plugin whose regex captures only the prefix group ("gho", "glpat"): take the whole token.
            whole = whole_token(value, line_text)
            if whole is None:
                continue
            value = whole
        if specific:
            # A prefixed token takes the kind our own rules give it, so its provider can claim it.
            provider, kind = classify_token(value) or (provider, kind)
        column = line_text.find(value) + 1 or 1
        if doc.origin.line is not None:
            location = doc.origin.at(doc.origin.line + secret.line_number - 1, column)
        else:
            location = doc.origin.at(secret.line_number, column)
        yield Hit(provider, kind, value, location, f"detect-secrets:{secret.type}", specific=specific)


MIN_SPECIFIC_LENGTH = 16
"""No prefixed token format detect-secrets knows is shorter; a shorter capture is a cut-off group."""
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-.]+")


def _is_cut(value: str) -> bool:
    return value.lower() in KNOWN_PREFIXES or len(value) < MIN_SPECIFIC_LENGTH


def whole_token(value: str, line: str) -> str | None:
    """The whole token on ``line`` that starts with ``value`` (a captured prefix), or None.

    detect-secrets' GitHub and GitLab plugins put the prefix in a capturing group and report only
    that group (``gho``, ``glpat``); a verifier sent that fragment would call a live token invalid.
    The token is the longest run of token characters starting where the prefix does; when that run
    is still shorter than any real token, the match is dropped.
    """
    start = line.find(value)
    while start >= 0:
        run = _TOKEN_RUN.match(line, start)
        if run is not None:
            token = run.group(0).rstrip(".-")
            if len(token) >= MIN_SPECIFIC_LENGTH and token != value:
                return token
        start = line.find(value, start + 1)
    return None
