"""The Tensors tab's table as Markdown: a few rows need no dataframe (pandas is 0.3 s to import)."""

from __future__ import annotations

from engine.values import fmt_shape, fmt_value

COLUMNS = ("name", "value", "shape", "requires_grad", "grad")


def tensor_rows(run) -> list[dict[str, str]]:
    """Every named tensor as the program left it, as text by column."""
    return [
        {
            "name": name,
            "value": fmt_value(t.value),
            "shape": fmt_shape(t.shape),
            "requires_grad": "True" if t.requires_grad else "False",
            "grad": fmt_value(t.grad) if t.grad is not None else "",
        }
        for name, t in run.tensors.items()
    ]


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
