"""The model emulator speaks the Messages API: checked with Anthropic's own Python client.

The agent tests trust the emulator's wire format (the ``claude`` CLI streams from it), so here
the official ``anthropic`` client parses its plain JSON answers, its server-sent event
streams, its errors and its token counting.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest

from ..emulators.anthropic import (
    AnthropicEmulator,
    Text,
    ToolUse,
    is_messages,
    overloaded,
    rate_limited,
    server_error,
    turn,
    unauthorized,
)

TOOL = {
    "name": "record",
    "description": "Record a thing",
    "input_schema": {"type": "object", "properties": {"x": {"type": "string"}}},
}
LONG_INPUT = {"x": "a value long enough to be split over several input_json_delta events " * 3}


@pytest.fixture(scope="module")
def emulator() -> Iterator[AnthropicEmulator]:
    server = AnthropicEmulator().start()
    yield server
    server.stop()


@pytest.fixture
def model(emulator: AnthropicEmulator) -> AnthropicEmulator:
    emulator.reset()
    return emulator


def client(model: AnthropicEmulator, key: str = "sk-ant-test") -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=model.url, api_key=key, max_retries=0)


async def test_plain_json_message_with_text_and_tool_use(model: AnthropicEmulator) -> None:
    model.script([turn(Text("Let me record that."), ToolUse("record", LONG_INPUT))])
    message = await client(model).messages.create(
        model="claude-emulated",
        max_tokens=100,
        tools=[TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "hello"}],
    )
    assert message.stop_reason == "tool_use"
    assert message.content[0].type == "text" and message.content[0].text == "Let me record that."
    tool_use = message.content[1]
    assert tool_use.type == "tool_use" and tool_use.name == "record"
    assert tool_use.input == LONG_INPUT
    assert message.usage.input_tokens == model.answered_usage[0]["input_tokens"] > 0
    body = model.message_requests()[0]
    assert body["messages"] == [{"role": "user", "content": "hello"}]


async def test_streamed_message_assembles_from_the_event_sequence(model: AnthropicEmulator) -> None:
    model.script([turn(Text("Streaming " * 20), ToolUse("record", LONG_INPUT))])
    events = []
    async with client(model).messages.stream(
        model="claude-emulated",
        max_tokens=100,
        tools=[TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "hello"}],
    ) as stream:
        async for event in stream:
            events.append(event.type)
        message = await stream.get_final_message()
    assert message.content[0].type == "text" and message.content[0].text == "Streaming " * 20
    assert message.content[1].type == "tool_use" and message.content[1].input == LONG_INPUT
    assert message.stop_reason == "tool_use"
    assert message.usage.output_tokens == model.answered_usage[0]["output_tokens"]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert events.count("content_block_start") == 2 == events.count("content_block_stop")
    assert "input_json" in events and "text" in events


async def test_scripts_are_served_per_conversation_by_marker(model: AnthropicEmulator) -> None:
    first = model.script([turn(Text("one-a")), turn(Text("one-b"))], marker="call-one")
    model.script([turn(Text("two-a"))], marker="call-two")
    api = client(model)

    async def say(prompt: str) -> str:
        message = await api.messages.create(
            model="m", max_tokens=10, messages=[{"role": "user", "content": prompt}]
        )
        block = message.content[0]
        assert block.type == "text"
        return block.text

    assert await say("call-two please") == "two-a"
    assert await say("call-one please") == "one-a"
    assert await say("call-one again") == "one-b"
    assert "no scripted turn left" in await say("call-one a third time")
    assert first.served == 2 and len(model.unscripted) == 1


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (rate_limited(retry_after=7), anthropic.RateLimitError, 429),
        (server_error(), anthropic.InternalServerError, 500),
        (overloaded(), anthropic.InternalServerError, 529),
        (unauthorized(), anthropic.AuthenticationError, 401),
    ],
)
async def test_injected_errors_look_like_the_api_errors(
    model: AnthropicEmulator, fault: object, error: type[Exception], status: int
) -> None:
    model.script([turn(Text("after the fault"))])
    model.fail_next(1, fault, when=is_messages)  # type: ignore[arg-type]
    api = client(model)
    with pytest.raises(error) as raised:
        await api.messages.create(
            model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert isinstance(raised.value, anthropic.APIStatusError)
    assert raised.value.status_code == status
    assert raised.value.body["error"]["type"] in {  # type: ignore[index]
        "rate_limit_error",
        "api_error",
        "overloaded_error",
        "authentication_error",
    }
    if status == 429:
        assert raised.value.response.headers["retry-after"] == "7"
    again = await api.messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]
    )
    assert again.content[0].type == "text" and again.content[0].text == "after the fault"
    assert len(model.faulted) == 1 and len(model.message_requests()) == 1


async def test_token_counting_and_a_missing_key(model: AnthropicEmulator) -> None:
    counted = await client(model).messages.count_tokens(
        model="m", messages=[{"role": "user", "content": "x" * 400}]
    )
    assert counted.input_tokens >= 100
    bare = anthropic.AsyncAnthropic(
        base_url=model.url, api_key=None, auth_token=None, max_retries=0
    )
    with pytest.raises((anthropic.AuthenticationError, TypeError)):
        await bare.messages.create(
            model="m", max_tokens=1, messages=[{"role": "user", "content": "x"}]
        )
