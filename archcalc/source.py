"""Source text and spans: where every IR node and diagnostic comes from."""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A half-open range of a source text, with 1-based line and column of both ends."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def at(cls, start: int, end: int, line: int, column: int, end_line: int,
           end_column: int) -> Span:
        """A span from its six positions."""
        return cls(start=start, end=end, line=line, column=column, end_line=end_line,
                   end_column=end_column)

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span.at(self.start, other.end, self.line, self.column, other.end_line,
                       other.end_column)


class Source:
    """A named source text that can turn offsets into spans and show its lines."""

    def __init__(self, text: str, name: str = "<spec>") -> None:
        self.text = text
        self.name = name

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of text[start:end]."""
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span.at(start, end, line, column, end_line, end_column)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        begin = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[begin:end].rstrip("\r")
