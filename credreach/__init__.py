"""The ``credreach`` import name: ``python -m credreach`` runs the CLI (code lives in ``scanner``)."""
