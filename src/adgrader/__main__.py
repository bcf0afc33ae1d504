"""`python -m adgrader` runs the command line."""

from adgrader.cli import main

main()
