"""Block Kit for the snapshot commands and the snapshot's progress message. Slack gets identifiers, counts,
sizes, states and times only; notes and identifiers are escaped like every external string."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbot.logic.durations import format_duration
from opsbot.slack import blocks as bk
from opsbot.slack.blocks import Block, Message, code, esc, mention

_ID = 120
_SHOWN = 25


def _age(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "?"
    return format_duration(timedelta(seconds=max(60, int((now - then).total_seconds()))))


def snapshot(view: Any) -> tuple[str, list[Block]]:
    if view.started:
        text = f":camera_with_flash: Snapshot {code(view.identifier, _ID)} started"
        follow = " — one message in this channel follows its progress" if view.followed_in else ""
        lines = [text + follow]
    else:
        text = f":hourglass: A snapshot of the database is already being created: {code(view.identifier, _ID)}"
        lines = [text + " — not starting another"]
    if view.note:
        lines.append(f"Note: {esc(bk.truncate(view.note, 300))}")
    lines += [f":warning: {esc(w)}" for w in view.warnings]
    return text, [bk.section("\n".join(lines))]


def snapshot_list(view: Any) -> tuple[str, list[Block]]:
    quota = view.quota
    head = f":card_file_box: {view.total} snapshot(s) of {code(view.db, 60)}"
    if quota is not None:
        head += f" · manual-snapshot quota {quota.used} of {quota.max} ({quota.share:.0%})"
    lines = []
    for s in view.snapshots:
        pin = " · :pushpin: pinned" if s.pinned else ""
        reason = f" · {esc(s.reason)}" if s.reason else ""
        who = f" · by {mention(s.requested_by)}" if s.requested_by else ""
        size = f"{s.size_gib} GiB" if s.size_gib is not None else "? GiB"
        lines.append(
            f"• {code(s.identifier, _ID)} — {esc(s.kind)}, {_age(view.checked_at, s.created)} old, {size},"
            f" {esc(s.status)}{reason}{who}{pin}"
        )
    body = [bk.section(f"*{head}*"), *bk.sections(lines or ["no snapshots"], "snapshots")]
    return head, body


def prune(view: Any) -> tuple[str, list[Block]]:
    pruned = view.pruned
    plan = pruned.plan
    gone = [
        f"• {code(d.snapshot.identifier, _ID)} — {esc(d.why)}"
        + (f" ({esc(d.snapshot.reason)})" if d.snapshot.reason else "")
        for d in plan.delete
    ]
    if pruned.dry_run:
        text = (
            f":scissors: Prune (dry run): {len(plan.delete)} snapshot(s) would go, {len(plan.keep)} of the bot's stay"
        )
    elif pruned.failed:
        text = (
            f":x: Prune stopped: deleted {len(pruned.deleted)} of {len(plan.delete)}; {esc(pruned.failed)}"
            " — the rest were not attempted"
        )
    else:
        text = f":scissors: Pruned {len(pruned.deleted)} snapshot(s); {len(plan.keep)} of the bot's stay"
    body = [bk.section(f"*{text}*")]
    if gone:
        body += bk.sections(gone[:_SHOWN], "snapshots")
    if pruned.failed and pruned.deleted:
        body.append(bk.context("Deleted: " + esc(", ".join(pruned.deleted[:20]))))
    body.append(bk.context("Only the bot's snapshots (its tag and name prefix) are ever candidates."))
    return text, body


def pin(view: Any) -> tuple[str, list[Block]]:
    if view.pinned == view.was_pinned:
        text = f"{code(view.identifier, _ID)} was already {'pinned' if view.pinned else 'not pinned'}"
    elif view.pinned:
        text = f":pushpin: {code(view.identifier, _ID)} pinned: no prune will delete it (`opsbot:keep=true`)"
    else:
        text = f"{code(view.identifier, _ID)} unpinned: retention applies to it again"
    return text, [bk.section(text)]


def residency(view: Any) -> tuple[str, list[Block]]:
    if not view.violations:
        text = f":large_green_circle: Residency: no copy of {code(view.db, 60)} leaves {esc(view.region)}"
        checks = (
            "no snapshot shared · no cross-region backup replication · no replica outside the region ·"
            f" storage encrypted with a key in {esc(view.region)} · every snapshot of the bot encrypted"
        )
        return text, [bk.section(f"*{text}*"), bk.context(checks)]
    text = f":red_circle: Residency: {len(view.violations)} violation(s) for {code(view.db, 60)}"
    lines = [f":red_circle: *{esc(v.what)}* — {esc(v.fix)}" for v in view.violations]
    return text, [bk.section(f"*{text}*"), *bk.sections(lines, "violations")]


def report(headline: str, lines: list[str]) -> Message:
    """A report of the nightly run to the ops channel (moved, a prune that stopped, residency violations)."""
    body: list[Block] = [bk.section(f"*{esc(headline)}*")]
    if lines:
        body += bk.sections([f"• {esc(line)}" for line in lines], "lines")
    return bk.message(esc(headline), body)


def progress(snapshot: Any, started: datetime, now: datetime, by: str) -> Message:
    """The one message that follows a snapshot: creating (with RDS's percentage), available, or failed."""
    name = code(snapshot.identifier, _ID)
    elapsed = format_duration(timedelta(seconds=max(60, int((now - started).total_seconds()))))
    if snapshot.status == "available":
        size = f"{snapshot.size_gib} GiB" if snapshot.size_gib is not None else "size unknown"
        text = f":white_check_mark: Snapshot {name} is available — {size}, took {elapsed}"
    elif snapshot.status in {"failed", "deleted", "deleting"} or not snapshot.status:
        text = f":x: Snapshot {name} {esc(snapshot.status or 'is gone')} after {elapsed}"
    else:
        done = f", {snapshot.progress}%" if snapshot.progress is not None else ""
        text = f":hourglass_flowing_sand: Snapshot {name} is {esc(snapshot.status)}{done} — {elapsed} so far"
    context = f"Requested by {mention(by)} · stays in af-south-1" if by else "Stays in af-south-1"
    return bk.message(text, [bk.section(text), bk.context(context)])
