"""``python -m cs_agent`` is ``cs-agent``."""

from cs_agent.cli import main

main()
