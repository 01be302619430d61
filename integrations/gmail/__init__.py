"""Gmail: the mailer (``mailer``), its two kinds of credentials and the sign-in flow (``auth``),
and the httpx transport the Google client runs on (``http``)."""
