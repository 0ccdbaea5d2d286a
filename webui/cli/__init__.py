"""The ``glossa`` command: the one place where every command module's commands are registered.

Each sibling module is one command group (``ingest``, ``serve``, ``read``, ``annotate``)
and lists its commands in ``COMMANDS``; what they share (the group, ``--data``, errors, the
app) is in :mod:`webui.cli.common`.
"""

from __future__ import annotations

from . import annotate, entities, ingest, read, serve
from .common import cli

read.entities.add_command(entities.rules)  # glossa entities rules export|import|reindex

for _module in (ingest, serve, read, annotate):
    for _command in _module.COMMANDS:
        cli.add_command(_command)

__all__ = ["cli"]
