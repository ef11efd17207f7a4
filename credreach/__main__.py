"""`python -m credreach` runs the credreach CLI, the same as the `credreach` console command."""

from scanner.guard._console import main

main()
