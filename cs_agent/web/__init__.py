"""The web inbox: server-rendered pages to see every call and decide on its follow-up.

``cs_agent.api.app`` mounts it at ``cs_agent.core.ids.INBOX_PATH``; links to it are built with
``cs_agent.core.ids.inbox_call_url``.
"""
