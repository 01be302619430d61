"""The ``cs-agent`` command line: one module a command group, assembled in ``main``."""
