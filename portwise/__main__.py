"""`python -m portwise` runs the command line."""

from portwise.cli import app

app()
