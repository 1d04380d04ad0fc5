"""``python -m generator``: the same as the ``apport`` command."""

from .cli import command

command()
