"""Schemathesis against the app's own OpenAPI document: generated requests, real HTTP, no 5xx.

The app runs secured with an API token, which the generated requests carry (Schemathesis also
checks that the same requests without it are refused), and with Zoom configured, so its route
checks signatures. Every
operation gets a bounded number of derandomized examples (the same requests every run), valid
ones and invalid ones, so the whole run takes seconds. Every check runs (status codes and
response bodies as documented, invalid requests refused, no server error) but one, below.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cs_agent.api.app import create_app
from cs_agent.config import Settings

from .intake_helpers import TOKEN, live_server

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def api_schema(settings: Settings) -> Iterator[BaseSchema]:
    configured = settings.model_copy(
        update={
            "api_token": SecretStr(TOKEN),
            "zoom_secret_token": SecretStr("fuzz-zoom-secret"),
            # Both source webhooks mounted; nothing fuzzed can pass their checks.
            "gong_access_key": "fuzz-gong-key",
            "gong_access_key_secret": SecretStr("fuzz-gong-secret"),
            "gong_webhook_secret": SecretStr("fuzz-gong-url-token"),
            "google_push_audience": "https://cs-agent.example/webhooks/google-meet",
            "google_push_service_account": "push@fuzz.iam.gserviceaccount.com",
            "google_oidc_certs_url": "http://127.0.0.1:9/certs",
            "max_transcript_bytes": 100_000,
        }
    )
    with live_server(create_app(configured, run_workflows=False)) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_no_server_error(
    api_schema: BaseSchema, mode: GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    fuzzed = set()
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            # Every check but "a schema-valid request is accepted": a schema-valid transcript
            # string is mostly not a transcript, and a 422 naming the line is the right answer.
            # The credential is given at the call, spelt as the security scheme spells it:
            # Schemathesis then also sends the request without it and with a wrong one, and
            # expects a refusal.
            case.call_and_validate(
                headers={"Authorization": f"Bearer {TOKEN}"},
                excluded_checks=[positive_data_acceptance],
            )

        try:
            check()
        except Unsatisfiable:  # nothing in this operation can be made invalid (e.g. /healthz)
            assert mode is GenerationMode.NEGATIVE
            continue
        fuzzed.add(operation.path)
    assert fuzzed >= {"/v1/transcripts", "/v1/calls", "/webhooks/zoom"}
