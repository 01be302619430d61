"""``python -m cs_agent`` is ``cs-agent``."""

from cs_agent.cli.main import main

main()
