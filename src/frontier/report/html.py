"""The report as one self-contained HTML page: figures inlined as PNG data, traces embedded.

Every value comes through Jinja2 with autoescaping on, so task text (untrusted:
it comes from datasets and teachers) renders as text, never as markup. A
Content-Security-Policy forbids any fetch and any script but the page's own
few lines, which only open a trace when a canary links to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from frontier import __version__
from frontier.domain.metrics import Interval
from frontier.report.data import ReportData
from frontier.report.figures import RenderedFigure
from frontier.store.scrub import redact_text

# Open a <details> trace when the page is opened at (or navigates to) its anchor.
SCRIPT = (
    "function openTarget(){var id=decodeURIComponent(location.hash.slice(1));"
    "var el=id?document.getElementById(id):null;"
    "if(el&&el.tagName==='DETAILS'){el.open=true;}}"
    "window.addEventListener('hashchange',openTarget);openTarget();"
)


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _usd(value: float | None) -> str:
    """Dollars to four decimals (rollouts are cheap); n/a when there is no denominator."""
    return "n/a" if value is None else f"${value:,.4f}"


def _per_dollar(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _ci(interval: Interval | None) -> str:
    if interval is None:
        return "–"
    return f"{interval.estimate:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _pretty(value: Any) -> str:
    """A trace as indented JSON, redacted once more as text (the last line of defence)."""
    return redact_text(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("frontier.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=_num,
        ci=_ci,
        pct=_pct,
        usd=_usd,
        per_dollar=_per_dollar,
        when=_when,
        pretty=_pretty,
        b64=lambda png: base64.b64encode(png).decode("ascii"),
        png_width=lambda png: png_size(png)[0],
        png_height=lambda png: png_size(png)[1],
    )
    return env


def render_html(data: ReportData, figures: list[RenderedFigure]) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(
        d=data,
        figures={f.slug: f for f in figures},
        script=SCRIPT,
        csp=content_security_policy(SCRIPT),
        version=__version__,
    )
