"""The Tensors tab's table as Markdown: a few rows need no dataframe (pandas is 0.3 s to import)."""

from __future__ import annotations

from engine.values import fmt_shape, fmt_value

COLUMNS = ("name", "value", "shape", "requires_grad", "grad")
PASS_COLUMN = "grad in the explorer's pass"  # only for a program that never calls backward


def tensor_rows(run) -> list[dict[str, str]]:
    """Every named tensor as the program left it, as text by column."""
    return [
        {
            "name": name,
            "value": fmt_value(t.value),
            "shape": fmt_shape(t.shape),
            "requires_grad": "True" if t.requires_grad else "False",
            # Python's own .grad: None is what the program would print.
            "grad": _grad_text(t),
            PASS_COLUMN: fmt_value(t.pass_grad) if t.pass_grad is not None else "",
        }
        for name, t in run.tensors.items()
    ]


def _grad_text(t) -> str:
    if t.grad is not None:
        return fmt_value(t.grad)
    return "None" if t.is_leaf and t.requires_grad else ""


def columns_of(rows: list[dict[str, str]]) -> tuple[str, ...]:
    """The table's columns: the explorer's pass gets one only when it filled some grad."""
    if any(row[PASS_COLUMN] for row in rows):
        return (*COLUMNS, PASS_COLUMN)
    return COLUMNS


def markdown_table(rows: list[dict[str, str]], columns=COLUMNS) -> str:
    """A Markdown table: names in bold, values in code spans (brackets and signs as printed)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(c, row[c]) for c in columns) + " |")
    return "\n".join(lines)


def _cell(column: str, text: str) -> str:
    if not text:
        return ""
    text = text.replace("|", "\\|")  # a bar would end the cell
    if column == "name":
        return f"**{text}**"
    if column in ("shape", "requires_grad"):
        return text
    return f"`{text}`"
