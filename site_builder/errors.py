"""One exception family for every problem a user can act on.

Messages are in Chinese (the users are finance staff) and start with
``path:line:col`` so editors and terminals can jump to the spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file, and optionally a line and column (1-based)."""

    path: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        try:  # relative to where the command was run, as the user typed it
            text = str(self.path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class SiteBuilderError(click.ClickException):
    """A content or configuration problem; the CLI prints it and exits 1."""

    exit_code = 1

    def __init__(self, location: Location | Path | str | None, message: str, hint: str | None = None):
        if isinstance(location, (str, Path)):
            location = Location(Path(location))
        self.location = location
        self.problem = message
        self.hint = hint
        text = f"{location}: {message}" if location else message
        if hint:
            text += f"\n  提示：{hint}"
        super().__init__(text)

    def format_message(self) -> str:
        return self.message

    def show(self, file: IO[Any] | None = None) -> None:
        """As click shows an error, with 错误： for its English "Error:"."""
        click.echo(f"错误：{self.format_message()}", file=file or click.get_text_stream("stderr"), color=self.show_color)

    def __reduce__(self):  # raised in a build worker process, re-raised in the main one
        return self.__class__, (self.location, self.problem, self.hint)


class ContentError(SiteBuilderError):
    """Bad input in the content folder (YAML, CSV, Markdown)."""


class ProfileError(SiteBuilderError):
    """A table-set profile that is malformed or refers to something unknown."""


class TemplateError(SiteBuilderError):
    """A template that fails to render."""
