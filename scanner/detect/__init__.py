"""Detection: our rules, the keyword readers and detect-secrets, on one multi-pattern pass."""

from scanner.detect.deferred_requests import install as _defer_requests

_defer_requests()  # before detect-secrets is imported anywhere: it imports requests for nothing we use
