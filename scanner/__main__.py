"""`python -m scanner` runs the credreach CLI."""

from scanner.cli import main

main()
