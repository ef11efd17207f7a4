"""`python -m scanner` runs the credreach CLI (`guard hook` answered without loading it)."""

from scanner.guard._console import main

main()
