"""``python -m smsrelay`` is the ``smsrelay`` command."""

from .cli.main import main

main()
