"""One parser per credential-store format; :mod:`scanner.sources.stores` maps files to them."""
