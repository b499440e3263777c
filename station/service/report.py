"""The end report of a run: ``report.json`` and ``report.md``.

:func:`build_report` reads the run folder (``rounds.jsonl``, ``tx.jsonl``,
``journal.jsonl``): per channel, the rounds detected and their SNR2500; the TX log's
summary (edges, skips, worst timing error, how keying stopped); the segments and
restarts with their downtime.  :func:`write_report` writes both files atomically.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> report = build_report(folder, event_id="practice", rounds_total=3)
>>> report["rounds_examined"], report["tx"]
(0, None)
>>> print(report_markdown(report).splitlines()[0])
# Run report: practice
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from station._atomic import write_bytes_atomic
from station.service.journal import JOURNAL_NAME, read_jsonl

__all__ = ["REPORT_JSON", "REPORT_MD", "build_report", "report_markdown", "write_report"]

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def _channels(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for rnd in rounds:
        for ch in rnd.get("channels", []):
            row = table.setdefault(ch["label"], {"label": ch["label"], "freq_hz": ch["freq_hz"],
                                                 "examined": 0, "detected": 0, "snr": []})
            row["examined"] += 1
            if ch.get("detected"):
                row["detected"] += 1
                if ch.get("snr2500_db") is not None:
                    row["snr"].append(float(ch["snr2500_db"]))
    out = []
    for row in table.values():
        snr = row.pop("snr")
        row["snr2500_db_median"] = round(statistics.median(snr), 1) if snr else None
        row["snr2500_db_best"] = round(max(snr), 1) if snr else None
        out.append(row)
    return sorted(out, key=lambda r: r["freq_hz"])


def _tx(run_dir: Path) -> dict[str, Any] | None:
    records = read_jsonl(run_dir / "tx.jsonl")
    if not records:
        return None
    edges = [r for r in records if r.get("type") == "edge"]
    errors = [abs(float(e["error_ms"])) for e in edges if e.get("error_ms") is not None]
    stops = [r for r in records if r.get("type") == "stop"]
    return {
        "runs": sum(1 for r in records if r.get("type") == "start"),
        "transmit": any(bool(r.get("transmit")) for r in records if r.get("type") == "start"),
        "edges": len(edges),
        "key_downs": sum(1 for e in edges if e.get("key") == "down"),
        "skipped": sum(1 for r in records if r.get("type") == "skip"),
        "past_at_start": sum(int(r.get("skipped_key_downs") or 0) for r in records
                             if r.get("type") == "start"),  # fmt: skip
        "max_abs_error_ms": round(max(errors), 1) if errors else None,
        "stops": [{"reason": s.get("reason"), "unkeyed": s.get("unkeyed")} for s in stops],
    }


def build_report(run_dir: Path, *, event_id: str, rounds_total: int) -> dict[str, Any]:
    """Build the report of the run in ``run_dir`` (see the module notes)."""
    rounds = sorted(read_jsonl(run_dir / "rounds.jsonl"), key=lambda r: r.get("round_number", 0))
    journal = read_jsonl(run_dir / JOURNAL_NAME)
    resumes = [{"utc": j["utc"], "downtime_s": j.get("downtime_s"), "segment": j.get("segment")}
               for j in journal if j.get("kind") == "resume"]  # fmt: skip
    per_round = [{"round": r["round_number"], "start_utc": r.get("start_utc"),
                  "detected_on": [c["label"] for c in r.get("channels", []) if c.get("detected")],
                  "note": r.get("note", "")} for r in rounds]  # fmt: skip
    return {
        "version": 1, "event_id": event_id, "rounds_total": rounds_total,
        "rounds_examined": len(rounds),
        "rounds_detected": sum(1 for r in per_round if r["detected_on"]),
        "rounds": per_round, "channels": _channels(rounds), "tx": _tx(run_dir),
        "segments": sum(1 for j in journal if j.get("kind") == "segment"), "resumes": resumes,
        "downtime_s": round(sum(float(r["downtime_s"] or 0) for r in resumes), 3),
    }  # fmt: skip


def report_markdown(report: dict[str, Any]) -> str:
    """Render the report for people (Markdown)."""
    lines = [f"# Run report: {report['event_id']}", "",
             f"Rounds examined: {report['rounds_examined']} of {report['rounds_total']}; "
             f"detected: {report['rounds_detected']}.", ""]  # fmt: skip
    if report["channels"]:
        lines += ["| channel | MHz | detected | median SNR2500 dB | best |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for c in report["channels"]:
            lines.append(f"| {c['label']} | {c['freq_hz'] / 1e6:.6f} | {c['detected']}/"
                         f"{c['examined']} | {c['snr2500_db_median']} | {c['snr2500_db_best']} |")
        lines.append("")
    for r in report["rounds"]:
        heard = ", ".join(r["detected_on"]) or "not detected"
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"- round {r['round']} ({r['start_utc']}): {heard}{note}")
    tx = report["tx"]
    lines += ["", "## TX log", ""]
    if tx is None:
        lines.append("Not keyed (no tx.jsonl).")
    else:
        how = "TRANSMITTED" if tx["transmit"] else "dry run"
        lines.append(f"{how}: {tx['edges']} edges ({tx['key_downs']} key-downs), "
                     f"{tx['skipped']} skipped late, {tx['past_at_start']} already past when "
                     f"keying (re)started, worst timing error {tx['max_abs_error_ms']} ms; "
                     f"stops: {', '.join(str(s['reason']) for s in tx['stops']) or 'none'}.")
    lines += ["", f"Segments: {report['segments']}; restarts: {len(report['resumes'])}, "
              f"downtime {report['downtime_s']} s."]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_report(run_dir: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.md`` atomically (replacing older ones)."""
    js = write_bytes_atomic(run_dir / REPORT_JSON,
                            (json.dumps(report, indent=1) + "\n").encode(), overwrite=True)
    md = write_bytes_atomic(run_dir / REPORT_MD, report_markdown(report).encode(), overwrite=True)
    return js, md
