"""Small builders shared by tests: real values, no mocks."""

from __future__ import annotations

from collections.abc import Mapping

from providers.base import HttpSettings, ProviderContext, ReadOnlyHttp
from scanner.model import Credential, Hit, Location, SourceKind
from scanner.redact import fingerprint, preview
from scanner.sources.base import Document


def make_credential(provider: str, kind: str, secret: str,
                    companions: Mapping[str, str] | None = None, path: str = "app/.env") -> Credential:
    location = Location(path=path, line=1, column=1, source=SourceKind.WORKSPACE)
    return Credential(id="C1", provider=provider, kind=kind, fingerprint=fingerprint(secret),
                      preview=preview(secret), locations=(location,), secret=secret,
                      companions=dict(companions or {}))


def context_for(base_url: str, *, timeout: float = 5.0, retries: int = 1,
                allow_embedded_hosts: bool = False) -> ProviderContext:
    settings = HttpSettings(timeout=timeout, retries=retries, max_retry_after=2.0)
    return ProviderContext(http=ReadOnlyHttp(base_url, settings), endpoint_overridden=True,
                           allow_embedded_hosts=allow_embedded_hosts)


class CollectingSink:
    """Records everything a source reports: a real Sink, like the pipeline's collector."""

    def __init__(self) -> None:
        self.documents: list[Document] = []
        self.hits: list[Hit] = []
        self.skips: list[tuple[str, str]] = []
        self.warnings: list[str] = []

    def document(self, doc: Document) -> None:
        self.documents.append(doc)

    def hit(self, hit: Hit) -> None:
        self.hits.append(hit)

    def skip(self, path: str, reason: str) -> None:
        self.skips.append((path, reason))

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def containing(self, text: str) -> list[Document]:
        return [d for d in self.documents if text in d.text]

    def by_store(self, store: str) -> list[Hit]:
        return [h for h in self.hits if h.location.store == store]
