"""``python -m webui``: the same as the ``glossa`` command."""

from .cli import cli

if __name__ == "__main__":
    cli(prog_name="glossa")
