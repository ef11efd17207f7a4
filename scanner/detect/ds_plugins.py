"""detect-secrets' plugins and filters, driven line by line on our documents.

We call detect-secrets' own line processor so its filters (allowlist pragmas, heuristics for
UUIDs, templated values, lock files, ...) apply unchanged; we only map its secret types onto
our provider/kind names. Its ``is_invalid_file`` filter is disabled because our documents are
often not files on disk (git blobs, environment variables).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import _process_line_based_plugins
from detect_secrets.settings import get_filters, get_plugins, get_settings

from scanner.detect.rules import classify_token
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


def configure() -> None:
    """Enable every detect-secrets plugin (but non-credential ones) with its default filters."""
    global _configured
    with _lock:
        if _configured:
            return
        logging.getLogger("detect-secrets").setLevel(logging.CRITICAL)
        settings = get_settings()
        settings.configure_plugins([
            {"name": plugin.__name__}
            for plugin in get_mapping_from_secret_type_to_class().values()
            if plugin.__name__ not in _EXCLUDED_PLUGINS
        ])
        settings.disable_filters("detect_secrets.filters.common.is_invalid_file")
        get_plugins.cache_clear()
        get_filters.cache_clear()
        _configured = True


def scan_lines(doc: Document, index: LineIndex) -> Iterator[Hit]:
    """Yield detect-secrets hits for every line of the document."""
    configure()
    numbered = list(enumerate(doc.text.split("\n"), start=1))
    filename = doc.origin.path
    for secret in _process_line_based_plugins(lines=numbered, filename=filename):
        value = secret.secret_value
        if not value:
            continue
        provider, kind, specific = TYPE_MAP.get(secret.type, ("generic", "generic_secret", False))
        if specific:
            # A prefixed token takes the kind our own rules give it, so its provider can claim it.
            provider, kind = classify_token(value) or (provider, kind)
        line_text = index.line_text(secret.line_number) if secret.line_number <= len(index.starts) else ""
        column = line_text.find(value) + 1 or 1
        if doc.origin.line is not None:
            location = dataclasses.replace(doc.origin, line=doc.origin.line + secret.line_number - 1,
                                           column=column)
        else:
            location = dataclasses.replace(doc.origin, line=secret.line_number, column=column)
        yield Hit(provider, kind, value, location, f"detect-secrets:{secret.type}", specific=specific)
