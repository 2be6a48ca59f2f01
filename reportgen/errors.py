"""Problems found in content, and the exceptions that carry them to the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def did_you_mean(word: str, choices, otherwise: str = "") -> str:
    """The hint for a mistyped name: "did you mean 'x'?" with the closest of `choices`, else `otherwise`."""
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean '{close[0]}'?" if close else otherwise


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in the content, located as precisely as the loader knows."""

    file: Path
    line: int | None
    column: int | None
    key: str
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        place = _shown(self.file)
        if self.line:
            place += f":{self.line}"
            if self.column:
                place += f":{self.column}"
        where = f" (at {self.key})" if self.key else ""
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"{place}: {self.severity}: {self.message}{where}.{hint}"


class ContentError(Exception):
    """Invalid content: every problem found, reported together (exit code 2)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class UsageError(Exception):
    """A command that cannot run as given (an option, the environment, a file in the way): exit code 2."""


class BuildError(Exception):
    """A document could not be written (exit code 1); the previous output is left in place."""


def _shown(file: Path) -> str:
    """A path relative to the working directory when it lies inside it: short, and clickable in editors."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)
