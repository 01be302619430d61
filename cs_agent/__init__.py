"""cs-agent: after every customer call, file the follow-ups and draft the recap email."""

__version__ = "0.1.0"
