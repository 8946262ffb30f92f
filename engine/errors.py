"""Errors a user program can raise, and their plain-data form."""

from __future__ import annotations

from dataclasses import dataclass


def first_line(error: object) -> str:
    """The first line of an exception's (or a warning's) message; "" when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


@dataclass(frozen=True)
class ErrorInfo:
    """One clear, one-line problem with the user's program."""

    type: str
    message: str
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        """The one line a person reads: where, what kind, what."""
        where = ""
        if self.line is not None:
            where = f"line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
            where += ": "
        return f"{where}{self.type}: {self.message}" if self.message else f"{where}{self.type}"


class ProgramError(Exception):
    """A problem with the user's program, pinned to a line where one is known."""

    kind = "Error"

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def info(self) -> ErrorInfo:
        return ErrorInfo(self.kind, self.message, self.line, self.column)


class LimitExceeded(ProgramError):
    """The program went past one of the run's limits."""

    kind = "LimitExceeded"


class RunTimeout(BaseException):
    """The wall-clock limit, raised inside the program by the worker's timer.

    A BaseException, so that the program's own `except Exception:` cannot swallow it.
    """
