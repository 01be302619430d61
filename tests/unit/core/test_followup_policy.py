"""Follow-up policies and their overrides: parsing the setting, choosing per customer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cs_agent.config import Settings
from cs_agent.core.followup import (
    FollowUpPolicy,
    PolicyChoice,
    parse_overrides,
    resolve_policy,
)

DEFAULT = PolicyChoice(name=FollowUpPolicy.APPROVAL, source="default")


def test_pairs_and_json_read_the_same() -> None:
    pairs = parse_overrides("acme.com=none, Globex=gmail-draft,tier:Enterprise=approval")
    as_json = parse_overrides(
        '{"acme.com": "none", "Globex": "gmail-draft", "tier:Enterprise": "approval"}'
    )
    assert (
        pairs
        == as_json
        == {
            "acme.com": FollowUpPolicy.NONE,
            "globex": FollowUpPolicy.GMAIL_DRAFT,
            "tier:enterprise": FollowUpPolicy.APPROVAL,
        }
    )


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("acme.com=maybe", "'acme.com'"),
        ("acme.com", "'acme.com'"),
        ('{"acme.com": "none"', "column"),
        ("tier:=none", "tier:NAME"),
    ],
)
def test_a_bad_override_names_what_is_wrong(value: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_overrides(value)


def test_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_AGENT_FOLLOWUP_POLICY", "sometimes")
    with pytest.raises(ValidationError, match=r"CS_AGENT_FOLLOWUP_POLICY.*approval, gmail-draft"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("CS_AGENT_FOLLOWUP_POLICY", "Gmail-Draft")
    monkeypatch.setenv("CS_AGENT_FOLLOWUP_POLICY_OVERRIDES", "acme.com=none")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.default_followup_policy == PolicyChoice(
        name=FollowUpPolicy.GMAIL_DRAFT, source="CS_AGENT_FOLLOWUP_POLICY"
    )
    assert settings.followup_policy_overrides == {"acme.com": FollowUpPolicy.NONE}


def test_domain_beats_name_beats_tier() -> None:
    overrides = {
        "acme.com": FollowUpPolicy.NONE,
        "acme": FollowUpPolicy.GMAIL_DRAFT,
        "tier:gold": FollowUpPolicy.APPROVAL,
    }
    assert resolve_policy(
        DEFAULT, overrides, customer_name="Acme", customer_domain="ACME.com", tier="gold"
    ) == PolicyChoice(name=FollowUpPolicy.NONE, source="override domain ACME.com")
    assert resolve_policy(
        DEFAULT, overrides, customer_name="Acme", customer_domain=None, tier="gold"
    ) == PolicyChoice(name=FollowUpPolicy.GMAIL_DRAFT, source="override name Acme")
    assert resolve_policy(
        DEFAULT, overrides, customer_name="Other", customer_domain=None, tier="Gold"
    ) == PolicyChoice(name=FollowUpPolicy.APPROVAL, source="override tier:Gold")
    assert resolve_policy(DEFAULT, overrides, customer_name=None, customer_domain=None) == DEFAULT


@settings(deadline=None)  # no test asserts time; a loaded machine is slow
@given(st.text(max_size=60))
def test_any_text_is_read_or_refused_with_a_value_error(value: str) -> None:
    try:
        overrides = parse_overrides(value)
    except ValueError:
        return
    assert all(key == key.lower() and key for key in overrides)
    assert all(isinstance(policy, FollowUpPolicy) for policy in overrides.values())
