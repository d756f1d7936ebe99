"""``python -m aweigh``: the same as the ``aweigh`` command."""

from aweigh.cli.app import main

main()
