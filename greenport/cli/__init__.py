"""The ``greenport`` command line: thin Typer commands over services (JSON with ``--json``)."""
