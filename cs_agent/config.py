"""One Settings object: every knob is an environment variable (``CS_AGENT_*``) or a ``.env`` line.

With no credentials at all, every port falls back to its local adapter, so a fresh checkout
runs end to end. Credentials switch the real adapters on one at a time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cs_agent.core.durations import cron_every, parse_duration
from cs_agent.core.followup import FollowUpPolicy, PolicyChoice, parse_overrides, parse_policy
from cs_agent.core.passwords import is_password_hash


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/cs-agent``, i.e. ``~/.local/share/cs-agent`` on most machines."""
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser() / "cs-agent"


class ConfigurationError(ValueError):
    """A setting is missing or wrong. The message names the variable and says what to do."""


def _split_csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseSettings):
    """Every setting of cs-agent. Read from the environment, then ``.env``, then defaults."""

    model_config = SettingsConfigDict(
        env_prefix="CS_AGENT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- where state lives -------------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir)
    """Holds the SQLite databases and the email outbox."""
    database_url: str | None = None
    """``postgresql://…`` for many workers; default is a SQLite file in the data directory."""

    # --- the analyzer ------------------------------------------------------------------------
    analyzer: Literal["auto", "claude", "rules"] = "auto"
    model: str = "claude-sonnet-4-6"
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "CS_AGENT_ANTHROPIC_API_KEY"),
    )
    anthropic_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_BASE_URL", "CS_AGENT_ANTHROPIC_BASE_URL"),
    )
    """The model API's base URL (a gateway or proxy); the real API when unset."""
    claude_cli: Path | None = None
    """The ``claude`` executable; the one bundled with claude-agent-sdk when unset."""
    max_turns: int = 12
    """Model turns one analysis (one window) may take before it is stopped."""
    thinking_tokens: int = 0
    """Extended-thinking budget per model turn; 0 turns thinking off (cheaper, faster)."""
    model_max_retries: int = 2
    """How often the CLI retries one failed model request (429, 5xx) before giving up."""
    analysis_attempts: int = 3
    """Whole analyses the workflow tries when the model API stays rate-limited or down."""
    analysis_retry_delay: float = 10.0
    """Seconds before the second analysis attempt; doubles for each further attempt."""
    window_chars: int = 120_000
    """Transcripts longer than this (in compact form) are analysed in overlapping windows."""
    window_overlap_chars: int = 4_000

    # --- who we are --------------------------------------------------------------------------
    company_name: str = "Our team"
    """Signs the follow-up email and names our side in the offline analyzer's drafts."""
    sender_email: str = "cs@localhost"
    """The From address of follow-ups (the Gmail sender when Gmail is configured)."""
    sender_name: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    """Where people reach this server: used for links back to a call."""
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Reverse proxies (IPs or CIDRs) whose ``X-Forwarded-For`` is believed; empty: none."""

    # --- Linear ------------------------------------------------------------------------------
    linear_api_key: SecretStr | None = None
    """A personal API key (sent as ``Authorization: <key>``)."""
    linear_oauth_token: SecretStr | None = None
    """An OAuth access token (sent as ``Authorization: Bearer <token>``); wins over the key."""
    linear_api_url: str = "https://api.linear.app/graphql"
    linear_team: str | None = None
    """The key of the team issues are filed in (``CS``); may be left out if there is one team."""
    linear_label: str = "customer-follow-up"
    """The label every filed issue gets; created in the team if it does not exist."""
    linear_timeout_seconds: float = 15.0
    linear_assignees: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Owner name → Linear user email, for owners whose email is not in the call metadata."""
    linear_create_customers: bool = False
    """Create the call's customer in Linear when no Linear customer matches its domain or name."""
    linear_customer_cache_hours: float = Field(default=24.0, gt=0)
    """How long a customer found in Linear is used before it is looked up again."""

    # --- Slack -------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_channel: str | None = None
    """The channel (an ID like ``C0123ABCDEF``) approval requests go to by default."""
    slack_customer_channels: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Customer name or email domain → channel ID, for customers with a channel of their own."""
    slack_approvers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Slack user IDs (``U…``/``W…``) who may approve, edit and reject follow-ups."""
    slack_approver_group: str | None = None
    """A Slack user group ID (``S…``) whose members may approve, as well as ``slack_approvers``."""
    slack_account_owners: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Customer name or domain → the account owner's Slack user ID or email, to mention."""
    slack_socket_mode: bool = False
    """Receive clicks over Socket Mode (needs ``slack_app_token``) instead of a public URL."""

    # --- Gmail -------------------------------------------------------------------------------
    gmail_credentials: Path | None = None
    """A service-account key (domain-wide delegation) or an OAuth token file from
    ``cs-agent auth gmail``; setting it switches sending to Gmail."""
    gmail_sender: str | None = None
    """The mailbox follow-ups are sent from (the user a service account impersonates)."""
    gmail_api_url: str = "https://gmail.googleapis.com/"
    gmail_timeout_seconds: float = 30.0
    google_token_url: str | None = None
    """Google's OAuth token endpoint, replaced (for a proxy or a test); default: Google's."""

    # --- SMTP (for mail systems other than Google Workspace) -------------------------------
    smtp_url: SecretStr | None = None
    """``smtp://user:password@host:587`` (STARTTLS) or ``smtps://user:password@host:465``."""
    smtp_ca_file: Path | None = None
    """Extra CA certificates (PEM) to trust for the SMTP server's TLS certificate."""
    smtp_timeout_seconds: float = 30.0

    # --- Zoom and intake ---------------------------------------------------------------------
    zoom_api_url: str = "https://api.zoom.us/v2/"
    """Zoom's API. Transcript downloads are only fetched from Zoom's own hosts or this one's."""
    zoom_secret_token: SecretStr | None = None
    """The Zoom app's webhook secret token: verifies events and answers URL validation."""
    webhook_secret: SecretStr | None = None
    """Key of the ``X-CS-Agent-Signature`` HMAC on ``POST /v1/transcripts``."""
    api_token: SecretStr | None = None
    """Accepted as ``Authorization: Bearer <token>`` on the API."""
    signature_tolerance_seconds: int = Field(default=300, ge=1)
    """How far a signed request's timestamp may be from the server's clock (replay window)."""
    max_transcript_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    """The largest request body (and downloaded transcript) intake accepts, in bytes."""

    # --- workers -----------------------------------------------------------------------------
    worker_concurrency: int = 4
    """How many calls one process analyses at once."""
    retry_attempts: int = 5
    """Tries of one call to Linear, Slack or the mailer while it is rate-limited or down."""
    retry_initial_delay: float = 0.5
    """Seconds before the second try; doubles each time (a Retry-After from the service wins)."""
    retry_max_delay: float = 30.0
    """The longest single wait between tries."""
    worker_heartbeat_seconds: float = 5.0
    worker_timeout_seconds: float = 30.0
    """How soon the database drops the session of a worker whose host vanished (which is when
    the others resume its workflows), and how long silence is before it is logged as stalled."""

    # --- operations --------------------------------------------------------------------------
    remind_after: dt.timedelta = dt.timedelta(hours=24)
    """A draft still pending this long gets one reminder in its approval channel."""
    remind_check_every: dt.timedelta = dt.timedelta(minutes=5)
    """How often workers look for drafts to remind about (a cron schedule, so it must divide
    a minute, an hour or a day)."""
    log_format: Literal["auto", "json", "text"] = "auto"
    """``auto``: readable lines in a terminal, one JSON object a line otherwise."""
    log_mask_pii: bool = True
    """Mask email addresses and phone numbers in log lines."""
    metrics_port: int | None = None
    """``cs-agent worker`` serves its own ``/metrics`` on this port when set."""

    # --- web inbox ---------------------------------------------------------------------------
    web_users: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Who may sign in: ``name:hash,…`` with hashes from ``cs-agent web hash-password``."""
    web_approvers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Which web users may decide on drafts; empty means all of them, others only view."""
    web_admin_token: SecretStr | None = None
    """Signs in as ``admin`` (an approver); at least 16 characters."""
    web_session_secret: SecretStr | None = None
    """Signs session cookies; generated once into the data directory when unset."""
    web_session_hours: int = Field(default=12, ge=1)

    # --- promises ----------------------------------------------------------------------------
    linear_webhook_secret: SecretStr | None = None
    """The Linear webhook's signing secret: turns on ``POST /webhooks/linear``."""
    update_window: dt.timedelta = dt.timedelta(hours=4)
    """Promises kept within this long of each other go to a customer in one update email."""
    reconcile_every: dt.timedelta = dt.timedelta(minutes=15)
    """How often workers ask the tracker about open promises (for lost webhooks) and look for
    overdue ones (a cron schedule, so it must divide a minute, an hour or a day)."""

    @field_validator("update_window", "reconcile_every", mode="before")
    @classmethod
    def _promise_durations(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("reconcile_every")
    @classmethod
    def _reconcile_schedulable(cls, value: dt.timedelta) -> dt.timedelta:
        cron_every(value)  # raises with what would work instead
        return value

    # --- transcript sources: Gong ------------------------------------------------------------
    gong_access_key: str | None = None
    """Gong API access key (Company settings → Ecosystem → API); with its secret, turns Gong on."""
    gong_access_key_secret: SecretStr | None = None
    """The access key's secret."""
    gong_api_url: str = "https://api.gong.io"
    """Gong's API base URL (your tenant's, as the API page shows it)."""
    gong_webhook_public_key: str | None = None
    """The automation rule's public key ("Signed JWT header"): PEM, or the bare base64 Gong shows."""
    gong_webhook_secret: SecretStr | None = None
    """The token in the rule's URL ("URL includes key"): ``/webhooks/gong?token=…``."""

    # --- transcript sources: Google Meet -----------------------------------------------------
    meet_credentials: Path | None = None
    """A service-account key (domain-wide delegation) or an OAuth token file with the Meet scope."""
    meet_user: str | None = None
    """The Workspace user whose meetings are read (the user a service account acts as)."""
    meet_api_url: str = "https://meet.googleapis.com/"
    google_calendar_api_url: str = "https://www.googleapis.com/calendar/v3/"
    """Where the Calendar API is asked for a conference's event (its attendees' emails)."""
    workspace_events_api_url: str = "https://workspaceevents.googleapis.com/"
    meet_poll: dt.timedelta | None = None
    """Poll recent conference records this often (``5m``), for servers without a public URL."""
    meet_pubsub_topic: str | None = None
    """``projects/P/topics/T``: where ``sources meet subscribe`` asks Meet's events to go."""
    google_push_audience: str | None = None
    """The audience of the Pub/Sub push subscription's OIDC token; mounts ``/webhooks/google-meet``."""
    google_push_service_account: str | None = None
    """The service-account email the push subscription signs its tokens as."""
    google_oidc_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    """Where Google's token-signing certificates are fetched (replaced for a test)."""

    @field_validator("meet_poll", mode="before")
    @classmethod
    def _poll_duration(cls, value: object) -> object:
        if value in ("", None):
            return None
        return parse_duration(value) if isinstance(value, str) else value

    @property
    def gong_configured(self) -> bool:
        """True when Gong's access key and secret are set."""
        return bool(self.gong_access_key and self.gong_access_key_secret)

    @property
    def gong_webhook_configured(self) -> bool:
        """True when Gong is configured and its webhook can be verified (public key or token)."""
        return self.gong_configured and bool(
            self.gong_webhook_public_key or self.gong_webhook_secret
        )

    @property
    def meet_configured(self) -> bool:
        """True when Google Meet credentials are set."""
        return self.meet_credentials is not None

    # --- follow-up policy --------------------------------------------------------------------
    followup_policy: FollowUpPolicy = FollowUpPolicy.APPROVAL
    """``approval`` (a person approves the draft), ``gmail-draft`` (a draft in the sender's
    Gmail, to send from there) or ``none`` (items filed, no email)."""
    followup_policy_overrides: Annotated[dict[str, FollowUpPolicy], NoDecode] = Field(
        default_factory=dict
    )
    """Per customer: ``acme.com=none,Globex=gmail-draft,tier:enterprise=approval`` or JSON."""

    @field_validator("followup_policy", mode="before")
    @classmethod
    def _policy_by_name(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_policy(value, where="CS_AGENT_FOLLOWUP_POLICY")
        return value

    @field_validator("followup_policy_overrides", mode="before")
    @classmethod
    def _overrides_from_text(cls, value: object) -> object:
        try:
            return parse_overrides(value)
        except ValueError as error:
            raise ValueError(f"CS_AGENT_FOLLOWUP_POLICY_OVERRIDES: {error}") from None

    @field_validator("remind_after", "remind_check_every", mode="before")
    @classmethod
    def _durations(cls, value: object) -> object:
        # "24h", "90m", "1d12h"; a bare number is seconds.
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("remind_check_every")
    @classmethod
    def _schedulable(cls, value: dt.timedelta) -> dt.timedelta:
        cron_every(value)  # raises with what would work instead
        return value

    @field_validator("slack_approvers", mode="before")
    @classmethod
    def _approvers_from_csv(cls, value: object) -> object:
        return _split_csv(value) if isinstance(value, str) else value

    @field_validator("linear_assignees", mode="before")
    @classmethod
    def _assignees_from_pairs(cls, value: object) -> object:
        # "Dana Reyes=dana@example.com,Sam=sam@example.com"
        return _pairs(value) if isinstance(value, str) else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_from_csv(cls, value: object) -> object:
        return _split_csv(value) if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network like 10.0.0.5 or 10.0.0.0/24"
                ) from None
        return value

    @field_validator("web_approvers", mode="before")
    @classmethod
    def _web_approvers_from_csv(cls, value: object) -> object:
        return _split_csv(value) if isinstance(value, str) else value

    @field_validator("web_users", mode="before")
    @classmethod
    def _web_users_from_pairs(cls, value: object) -> object:
        # "dana:scrypt:…,sam:scrypt:…": the hash itself contains colons, the name does not.
        if isinstance(value, str):
            users = {}
            for part in _split_csv(value):
                name, _, password_hash = part.partition(":")
                users[name.strip()] = password_hash.strip()
            value = users
        if isinstance(value, dict):
            for name, password_hash in value.items():
                if not name or not is_password_hash(str(password_hash)):
                    raise ValueError(
                        f"{name or '(empty name)'}: expected name:hash with a hash made by "
                        "`cs-agent web hash-password`, not a plain password"
                    )
        return value

    @field_validator("web_admin_token")
    @classmethod
    def _admin_token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 characters (e.g. `openssl rand -hex 24`)")
        return value

    @field_validator("slack_customer_channels", "slack_account_owners", mode="before")
    @classmethod
    def _slack_maps_from_pairs(cls, value: object) -> object:
        # "Acme Freight=C0123ABCDEF,globex.example=C0456GHIJKL"; keys compare case-insensitively
        if isinstance(value, str):
            value = _pairs(value)
        if isinstance(value, dict):
            return {str(k).strip().lower(): str(v).strip() for k, v in value.items()}
        return value

    @field_validator("slack_channel")
    @classmethod
    def _channel_is_an_id(cls, value: str | None) -> str | None:
        return _slack_id(value, "a channel ID like C0123ABCDEF", _CHANNEL_ID) if value else None

    @field_validator("slack_customer_channels")
    @classmethod
    def _customer_channels_are_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for customer, channel in value.items():
            _slack_id(channel, f"a channel ID like C0123ABCDEF for {customer!r}", _CHANNEL_ID)
        return value

    @field_validator("slack_approvers")
    @classmethod
    def _approvers_are_ids(cls, value: list[str]) -> list[str]:
        for user in value:
            _slack_id(user, "Slack user IDs like U0123ABCDEF", _USER_ID)
        return value

    @field_validator("slack_approver_group")
    @classmethod
    def _group_is_an_id(cls, value: str | None) -> str | None:
        return _slack_id(value, "a user group ID like S0123ABCDEF", _GROUP_ID) if value else None

    # --- derived -----------------------------------------------------------------------------
    @property
    def app_database_url(self) -> str:
        """The database holding calls, items, drafts and the audit log."""
        if self.database_url:
            return sqlalchemy_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'cs-agent.db'}"

    @property
    def system_database_url(self) -> str:
        """DBOS's own state: the same PostgreSQL database, or a SQLite file of its own."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'workflows.db'}"

    @property
    def from_address(self) -> str:
        """The address follow-ups are sent from: the Gmail sender, else ``sender_email``."""
        return self.gmail_sender or self.sender_email

    @property
    def tracker_creates_customers(self) -> bool:
        """Whether a call's customer is created in the tracker when it has none.

        Linear: only when asked (``linear_create_customers``). The local task list keeps its own
        customers and always may.
        """
        if self.linear_api_key or self.linear_oauth_token:
            return self.linear_create_customers
        return True

    @property
    def outbox_dir(self) -> Path:
        """Where the local mailer writes ``.eml`` files."""
        return self.data_dir / "outbox"

    @property
    def web_sign_in_configured(self) -> bool:
        """True when the web inbox has a credential; without one it serves loopback only."""
        return bool(self.web_users) or self.web_admin_token is not None

    @property
    def default_followup_policy(self) -> PolicyChoice:
        """The policy for customers no override names, and whether it was set or defaulted."""
        source = (
            "CS_AGENT_FOLLOWUP_POLICY" if "followup_policy" in self.model_fields_set else "default"
        )
        return PolicyChoice(name=self.followup_policy, source=source)

    @property
    def places_mailbox_drafts(self) -> bool:
        """True when some customer's follow-up policy is ``gmail-draft`` (Gmail then needs the
        compose scope, and workers look for drafts since sent)."""
        return FollowUpPolicy.GMAIL_DRAFT in {
            self.followup_policy,
            *self.followup_policy_overrides.values(),
        }

    @property
    def is_postgres(self) -> bool:
        """True when state lives in PostgreSQL rather than SQLite."""
        return self.app_database_url.startswith("postgresql")


_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


def _pairs(value: str) -> dict[str, str]:
    """``"key=value,key=value"`` as a dict; parts without both a key and a value are skipped."""
    pairs = {}
    for part in _split_csv(value):
        key, _, item = part.partition("=")
        if key.strip() and item.strip():
            pairs[key.strip()] = item.strip()
    return pairs


def _slack_id(value: str, expected: str, pattern: re.Pattern[str]) -> str:
    # Names like "#cs-approvals" or "@dana" change and cannot be used to update a message later.
    if not pattern.match(value):
        raise ValueError(
            f"expected {expected}, got {value!r} (in Slack: open the channel, user or group "
            "details; the ID is at the bottom)"
        )
    return value


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` → ``postgresql+psycopg://`` so SQLAlchemy uses psycopg 3."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url
