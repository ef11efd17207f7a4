"""`credreach guard`: stop a destructive agent tool call before it runs, by what its credential reaches.

The hook path (``python -m scanner.guard hook``) imports only the standard library and the small
modules of this package (no typer, rich, requests or detect-secrets) so a decision costs little
more than the interpreter's start-up, and it makes no network call: it decides from the reach map
``scan``/``preflight`` wrote (see :mod:`scanner.guard.reachmap`).
"""
