"""Slack: the approval channel (``channel``) over Slack's Web API (``api``), the Block Kit it
posts (``blocks``), its settings (``config``), the people it asks (``people``) and its doctor
checks (``checks``)."""
