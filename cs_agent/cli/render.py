"""Rendering calls and drafts in a terminal (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cs_agent.core.domain import OFFLINE_ANALYZER, format_timestamp
from cs_agent.core.ports import AdapterChoice
from cs_agent.services.views import CallView, DraftView

if TYPE_CHECKING:
    # Annotations only, for start-up time: the doctor module loads every adapter (~1.5 s).
    from cs_agent.bootstrap.doctor import PortReport
    from cs_agent.services.costs import CostReport
    from cs_agent.services.retention import PurgeReport


def render_offline_banner(console: Console) -> None:
    """The loud label on everything the offline analyzer made."""
    console.print(
        Panel(
            Text.assemble(
                ("OFFLINE ANALYZER", "bold"),
                " — these results come from cue-phrase rules, not a language model.\n",
                "Review every item and the email. For the Claude agent, set ",
                ("ANTHROPIC_API_KEY", "bold"),
                " (or CS_AGENT_ANALYZER=claude) and run again.",
            ),
            style="yellow",
            box=box.HEAVY,
        )
    )


def render_adapters(console: Console, choices: list[AdapterChoice]) -> None:
    """Which adapter serves each port, in one small table."""
    table = Table(box=box.SIMPLE, show_header=True, header_style="dim", pad_edge=False)
    table.add_column("port", style="dim")
    table.add_column("adapter", style="bold")
    table.add_column("why")
    for choice in choices:
        table.add_row(choice.port, choice.adapter, choice.reason)
    console.print(table)


def render_call(console: Console, view: CallView) -> None:
    """Summary, action items, the draft and where to approve it."""
    if view.analyzer == OFFLINE_ANALYZER:
        render_offline_banner(console)
    title = view.title or "Call"
    subtitle = " · ".join(
        part for part in (view.customer, str(view.call_date) if view.call_date else None) if part
    )
    if view.status == "failed":
        console.print(
            Panel(
                f"[bold]{title}[/bold] failed: {view.failure_reason}\n"
                f"Nothing was filed or sent. Fix the cause and retry the call ({view.call_id}).",
                title="Failed",
                style="red",
            )
        )
        return
    if view.summary:
        summary = Text(view.summary.text)
        details = [f"Sentiment: {view.summary.sentiment}"]
        if view.summary.risks:
            details.append("Risks: " + "; ".join(view.summary.risks))
        console.print(
            Panel(
                Group(summary, Text("\n" + "\n".join(details), style="dim")),
                title=f"[bold]{title}[/bold]",
                subtitle=subtitle or None,
                box=box.ROUNDED,
            )
        )
    render_items(console, view)
    if view.draft:
        render_draft(console, view.draft)
        render_next_step(console, view)
    else:
        render_no_draft(console, view)
    if view.analyzer != OFFLINE_ANALYZER:  # the offline analyzer's notes are in its banner
        for note in view.analysis_notes:
            console.print(Text(f"note: {note}", style="dim"))
    console.print(f"[dim]call {view.call_id} · {view.words} words · {usage_line(view)}[/dim]")
    render_policy(console, view)


def usage_line(view: CallView) -> str:
    """What the analysis cost: money, tokens, round trips to the model and time."""
    usage = view.usage
    if usage is None or not (usage.requests or usage.input_tokens or view.cost_usd):
        return "analysis cost $0 (no model used)"
    parts = [f"analysis cost ${view.cost_usd:.4f}"]
    tokens = f"{usage.input_tokens:,} tokens in, {usage.output_tokens:,} out"
    if usage.cache_read_tokens:
        tokens += f" ({usage.cache_read_tokens:,} read from cache)"
    parts.append(tokens)
    if usage.requests:
        parts.append(f"{usage.requests} model request{'s' if usage.requests != 1 else ''}")
    if usage.duration_ms:
        parts.append(f"{usage.duration_ms / 1000:.1f} s")
    return " · ".join(parts)


def render_items(console: Console, view: CallView) -> None:
    """The action items as a table: title, owner, due date, the supporting quote and issue."""
    table = Table(
        title=f"Action items ({len(view.action_items)})",
        box=box.SIMPLE_HEAVY,
        show_lines=True,
        expand=True,
    )
    table.add_column("#", justify="right", style="dim", width=3)
    table.add_column("Action item", ratio=3)
    table.add_column("Owner", ratio=2)
    table.add_column("Due", no_wrap=True)
    table.add_column("Supporting quote", ratio=4)
    table.add_column("Issue", no_wrap=True)
    for number, item in enumerate(view.action_items, start=1):
        owner = "—"
        if item.owner:
            owner = item.owner.name + (f" ({item.owner.side})" if item.owner.side else "")
        stamp = format_timestamp(item.quote_time)
        quote = Text(f"“{item.quote}”", style="italic")
        if stamp:
            quote.append(f"  [{stamp}]", style="dim")
        issue = "—"
        if item.issue:
            issue = item.issue.identifier + (" (existing)" if item.issue.existing else "")
        table.add_row(str(number), item.title, owner, str(item.due_date or "—"), quote, issue)
    console.print(table)


def render_draft(console: Console, draft: DraftView) -> None:
    """The follow-up email as it would be sent."""
    header = Text()
    header.append("To: ", style="bold")
    header.append(", ".join(draft.to) or "(nobody yet — edit before approving)")
    if draft.cc:
        header.append("\nCc: ", style="bold")
        header.append(", ".join(draft.cc))
    header.append("\nSubject: ", style="bold")
    header.append(draft.subject)
    console.print(
        Panel(
            Group(header, Text(""), Text(draft.body)),
            title=f"Follow-up email · draft {draft.id} v{draft.version} · {draft.status}",
            box=box.ROUNDED,
        )
    )


def render_next_step(console: Console, view: CallView) -> None:
    """Where the person who decides goes next."""
    draft = view.draft
    if draft is None:
        return
    if draft.status == "pending":
        lines = ["[bold]Nothing has been sent.[/bold] The email waits for a person's approval."]
        if view.approval.get("channel") == "local":
            lines.append(f"  approve:  [bold]cs-agent drafts approve {draft.id}[/bold]")
            lines.append(f"  reject:   cs-agent drafts reject {draft.id}")
            if view.approval.get("inbox_url"):
                lines.append(
                    f"  or open:  {view.approval['inbox_url']}  (while cs-agent serve runs)"
                )
        elif view.approval.get("permalink"):
            lines.append(f"  approve it in Slack: {view.approval['permalink']}")
            lines.append(f"  or here: cs-agent drafts approve {draft.id}")
        else:
            where = ", ".join(f"{k}={v}" for k, v in view.approval.items())
            lines.append(f"  approve it in {view.approval.get('channel', '?')} ({where})")
        console.print(Panel("\n".join(lines), title="Next step", style="green"))
    elif draft.status == "sent":
        console.print(
            f"[green]Sent[/green] {draft.sent_at:%Y-%m-%d %H:%M} UTC ({draft.message_id})"
            if draft.sent_at
            else "[green]Sent[/green]"
        )
    elif draft.status == "failed":
        console.print(f"[red]Sending failed:[/red] {draft.failure_reason}")
    elif draft.status == "in_gmail":
        where = f": {draft.mailbox_url}" if draft.mailbox_url else ""
        console.print(
            f"[green]Draft in Gmail[/green], in the customer's thread; send it from there{where}"
        )
    else:
        console.print(f"Draft is {draft.status}.")


def render_no_draft(console: Console, view: CallView) -> None:
    """Why a processed call has no draft: the policy said none, or none was needed."""
    if view.status != "completed":
        return
    if view.policy is not None and view.policy.name == "none":
        console.print(
            "[bold]No email drafted:[/bold] the follow-up policy for this customer is none."
        )
    elif view.no_followup_reason:
        console.print(f"[bold]No follow-up needed:[/bold] {escape(view.no_followup_reason)}")
        console.print(f"  draft one anyway: cs-agent drafts anyway {view.call_id}")


def render_policy(console: Console, view: CallView) -> None:
    """The follow-up policy in force, and where it came from."""
    if view.policy is not None:
        console.print(
            f"[dim]follow-up policy: {view.policy.name.value} ({escape(view.policy.source)})[/dim]"
        )


def render_doctor(console: Console, reports: Sequence[PortReport], *, data_dir: str) -> None:
    """``cs-agent doctor``: one row a port, every check on its own line, the fix beside it."""
    table = Table(title="cs-agent doctor", show_lines=True, expand=True)
    table.add_column("port", style="bold")
    table.add_column("adapter")
    table.add_column("status")
    table.add_column("checks", ratio=3)
    table.add_column("fix", ratio=2)
    for report in reports:
        lines = Text()
        for index, check in enumerate(report.checks):
            if index:
                lines.append("\n")
            lines.append("✓ " if check.ok else "✗ ", style="green" if check.ok else "red")
            lines.append(check.detail)
        status = Text("ok", style="green") if report.ok else Text("FAIL", style="bold red")
        table.add_row(report.port, report.adapter, status, lines, "\n".join(report.fixes))
    console.print(table)
    failed = [report.port for report in reports if not report.ok]
    if failed:
        console.print(f"[red]{len(failed)} of {len(reports)} failed:[/red] {', '.join(failed)}")
    else:
        console.print(f"[green]all {len(reports)} ok[/green]")
    console.print(f"data directory: {data_dir}", highlight=False)


def render_costs(console: Console, report: CostReport) -> None:
    """``cs-agent costs``: one line a customer (or call), then the total."""
    since = f" since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else ""
    per_call = report.by == "call"
    table = Table(title=f"Analysis cost{since}", show_footer=True)
    total = report.total
    if per_call:
        table.add_column("call", footer="total")
        table.add_column("received")
        table.add_column("customer")
        table.add_column("analyzer")
    else:
        table.add_column("customer", footer="total")
        table.add_column("calls", justify="right", footer=f"{total.calls:,}")
    table.add_column("input tokens", justify="right", footer=f"{total.input_tokens:,}")
    table.add_column("output tokens", justify="right", footer=f"{total.output_tokens:,}")
    table.add_column("cache read", justify="right", footer=f"{total.cache_read_tokens:,}")
    table.add_column("cost", justify="right", footer=f"${total.cost_usd:,.4f}")
    for line in report.lines:
        first: list[str] = (
            [
                line.call_id or "",
                f"{line.received:%Y-%m-%d %H:%M}" if line.received else "—",
                line.customer or "—",
                line.analyzer or "—",
            ]
            if per_call
            else [line.customer or "(no customer)", f"{line.calls:,}"]
        )
        table.add_row(
            *first,
            f"{line.input_tokens:,}",
            f"{line.output_tokens:,}",
            f"{line.cache_read_tokens:,}",
            f"${line.cost_usd:,.4f}",
        )
    console.print(table)
    if per_call and total.calls > len(report.lines):
        console.print(
            f"[dim]{len(report.lines)} newest of {total.calls} calls; the total covers all.[/dim]"
        )


def render_purge(console: Console, report: PurgeReport) -> None:
    """``cs-agent purge``: what was (or would be) removed, and what was kept."""
    cutoff = f"{report.cutoff:%Y-%m-%d %H:%M} UTC"
    count = len(report.calls)
    calls = f"{count} call{'s' if count != 1 else ''}"
    if not count:
        console.print(
            f"No transcripts of calls received before {cutoff} (older than "
            f"{report.older_than}) are left; nothing to purge."
        )
        return
    span = f"the oldest from {report.calls[0].received:%Y-%m-%d}; {report.words:,} words"
    if report.dry_run:
        table = Table(title="Transcripts that would be removed")
        for column in ("call", "received", "customer", "words"):
            table.add_column(column)
        for call in report.calls[:20]:
            table.add_row(
                call.call_id,
                f"{call.received:%Y-%m-%d %H:%M}",
                call.customer or "—",
                f"{call.word_count:,}",
            )
        console.print(table)
        if count > 20:
            console.print(f"… and {count - 20} more")
        console.print(
            f"Dry run: would remove the transcripts of {calls} received before {cutoff} "
            f"({span}). Nothing was changed."
        )
        return
    console.print(
        f"Removed the transcripts of {calls} received before {cutoff} ({span}). Kept their "
        "action items, drafts and audit log; each call's audit log records the purge."
    )
