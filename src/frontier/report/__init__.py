"""The frontier report: one self-contained HTML file (and PNGs) drawn from the store."""

from frontier.report.output import FORMATS, Format, Report, build_report, write_report

__all__ = ["FORMATS", "Format", "Report", "build_report", "write_report"]
