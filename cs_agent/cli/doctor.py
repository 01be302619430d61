"""``cs-agent doctor``: the database and every port's adapter, checked live."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from cs_agent.cli.common import out, start_command


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check the database and every port's adapter live; exit non-zero if any check fails."""
    settings = start_command()
    # Imported here for start-up time: the checks load every adapter (~1.5 s).
    from cs_agent.bootstrap.source_doctor import diagnose_all
    from cs_agent.cli.render import render_doctor
    from storage.db import make_engine

    engine = make_engine(settings.app_database_url)
    try:
        reports = asyncio.run(diagnose_all(settings, engine))
    finally:
        engine.dispose()
    healthy = all(report.ok for report in reports)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": healthy,
                    "ports": [
                        {**report.model_dump(mode="json"), "ok": report.ok, "fixes": report.fixes}
                        for report in reports
                    ],
                }
            )
        )
    else:
        render_doctor(out, reports, data_dir=str(settings.data_dir))
    if not healthy:
        raise typer.Exit(1)
