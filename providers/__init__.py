"""Read-only provider introspection: one module per provider, each exposing ``PROVIDER``."""
