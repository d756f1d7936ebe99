"""The ``aweigh`` command line: a thin Typer shell over the services."""
