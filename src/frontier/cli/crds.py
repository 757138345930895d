"""`frontier crds`: print the CustomResourceDefinitions, or write them to a folder.

The CRDs are generated from the spec models; this command is how `crds/` is refreshed
and how a user pipes them into `kubectl apply -f -`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from frontier.operator.crds import render_all, render_files


def crds(
    write: Annotated[
        Path | None,
        typer.Option(
            "--write", help="Write one file per kind plus kustomization.yaml into this folder."
        ),
    ] = None,
) -> None:
    """Print the CRDs as one YAML stream, or write them into a folder."""
    if write is None:
        typer.echo(render_all(), nl=False)
        return
    write.mkdir(parents=True, exist_ok=True)
    for name, content in render_files().items():
        (write / name).write_text(content, encoding="utf-8")
        typer.echo(f"wrote {write / name}")
