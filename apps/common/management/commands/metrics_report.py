"""`manage.py metrics_report LOGFILE`: the EMF metrics in a log, summarised (no CloudWatch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.common.emf_report import Report, summarise


class Command(BaseCommand):
    help = (
        "Summarise the CloudWatch Embedded Metric Format lines of a log file (e.g. rungateway's "
        "output): count, sum, p50 and p99 per metric and dimension set. Lines that are not "
        "JSON, and metric lines that break the specification, are counted and listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("logfile", help="a log file, or - for standard input")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="exit with status 1 when any metric line is malformed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = self._read(options["logfile"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(render(report))
        if options["strict"] and report.malformed:
            raise CommandError(f"{report.malformed} malformed metric line(s)", returncode=1)

    @staticmethod
    def _read(name: str) -> Report:
        if name == "-":
            return summarise(sys.stdin)
        path = Path(name)
        try:
            # Undecodable bytes become U+FFFD: a binary or truncated file is reported, not fatal.
            with path.open(encoding="utf-8", errors="replace") as stream:
                return summarise(stream)
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from None


def render(report: Report) -> str:
    """The report as a text table, one row per metric and dimension set."""
    out = [
        f"{report.lines} lines: {report.metric_lines} metric lines, "
        f"{report.other_json} other JSON lines, {report.not_json} not JSON, "
        f"{report.malformed} malformed metric lines",
    ]
    rows = report.as_dict()["metrics"]
    if rows:
        header = ("namespace", "metric", "dimensions", "unit", "count", "sum", "p50", "p99")
        table = [header] + [
            (
                row["namespace"],
                row["metric"],
                ", ".join(f"{k}={v}" for k, v in row["dimensions"].items()) or "(all)",
                row["unit"],
                str(row["count"]),
                _number(row["sum"]),
                _number(row["p50"]),
                _number(row["p99"]),
            )
            for row in rows
        ]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
        out.append("")
        out.extend("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                   for cells in table)  # fmt: skip
    if report.not_json_at:
        more = ", ..." if report.not_json > len(report.not_json_at) else ""
        numbers = ", ".join(str(n) for n in report.not_json_at)
        out.extend(["", f"Not JSON (skipped): lines {numbers}{more}"])
    if report.problems:
        out.append("")
        out.append(f"Malformed metric lines ({len(report.problems)} of {report.malformed} shown):")
        out.extend(f"  line {number}: {reason}" for number, reason in report.problems)
    return "\n".join(out)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if abs(value) < 1e15 else f"{value:.6g}"
