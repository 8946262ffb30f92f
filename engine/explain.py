"""Say what each backward step did: the chain rule as a formula, then with this run's numbers."""

from __future__ import annotations

import re
import weakref
from dataclasses import replace
from functools import lru_cache, partial

from . import graph as g
from .collector import collector_paused
from .ops import SUPERSCRIPTS, base_name
from .values import fmt_shape, fmt_value

# Formulas in words get no numbers line: "1.0 copied to every element of [..]" reads badly.
PROSE = re.compile(r"\b(copied|summed|reshaped|at|with|put|removed|elsewhere|in)\b")

# Local derivative per op and input slot. {g} is the gradient arriving, {a}/{b} the first and
# second operands' names (in the numbers line, their values), {n} the exponent, {N} how many
# elements a mean averages over, {s} softmax's result (saved by autograd).
# A formula without numbers ({A}…) is still shown; the real numbers follow it anyway.
FORMULAS: dict[str, tuple[str, ...]] = {
    "Add": ("{g}", "{g}"),
    "Sub": ("{g}", "−{g}"),
    "Rsub": ("−{g}", "{g}"),
    "Mul": ("{g} · {b}", "{g} · {a}"),
    "Div": ("{g} / {b}", "−{g} · {a} / {b}²"),
    "Neg": ("−{g}",),
    "Pow": ("{g} · {n}·{a}^({n}−1)",),
    "Exp": ("{g} · exp({a})",),
    "Log": ("{g} / {a}",),
    "Sin": ("{g} · cos({a})",),
    "Cos": ("−{g} · sin({a})",),
    "Tanh": ("{g} · (1 − tanh²({a}))",),
    "Sigmoid": ("{g} · σ({a})·(1 − σ({a}))",),
    "Relu": ("{g} · [{a} > 0]",),
    "Sqrt": ("{g} / (2√{a})",),
    "Abs": ("{g} · sign({a})",),
    "Sum": ("{g} copied to every element of {a}",),
    "Mean": ("{g} / {N}, copied to every element of {a}",),
    "Dot": ("{g} · {b}", "{g} · {a}"),
    "Mm": ("{g} @ {b}ᵀ", "{a}ᵀ @ {g}"),
    "Mv": ("{g} ⊗ {b}", "{a}ᵀ @ {g}"),
    "Matmul": ("{g} @ {b}ᵀ", "{a}ᵀ @ {g}"),
    "Addmm": ("{g} summed over the batch", "{g} @ {b2}ᵀ", "{b1}ᵀ @ {g}"),
    "Softmax": ("{s} ⊙ ({g} − Σ({g} ⊙ {s}))",),
    "LogSoftmax": ("{g} − softmax({a}) · Σ{g}",),
    "NllLoss": ("−{g}/N at each target class, 0 elsewhere",),
    "MseLoss": ("{g} · 2({a} − {b}) / {N}",),
    "BinaryCrossEntropy": ("{g} · (p − y) / (p(1 − p)) / N",),
    "Expand": ("{g} summed over the broadcast dimensions (back to {a}'s shape)",),
    "View": ("{g} reshaped back to {a}'s shape",),
    "Reshape": ("{g} reshaped back to {a}'s shape",),
    "UnsafeView": ("{g} reshaped back to {a}'s shape",),
    "Squeeze": ("{g} with the squeezed dimension put back",),
    "Unsqueeze": ("{g} with the added dimension removed",),
    "T": ("({g})ᵀ",),
    "Transpose": ("({g})ᵀ",),
    "Select": ("{g} at the selected position, 0 elsewhere",),
    "Index": ("{g} at the indexed positions, 0 elsewhere",),
    "Slice": ("{g} in the slice, 0 elsewhere",),
    "Clone": ("{g}",),
}
# Elementwise ops broadcast: an operand smaller than the result gets the gradient summed back.
BROADCASTING = {"Add", "Sub", "Rsub", "Mul", "Div"}


# id(pass) -> (a weak reference to it, the pass explained): the page asks for the same
# pass on every rerun, and a pass's words take longer to write than its numbers to send.
_EXPLAINED: dict[int, tuple[weakref.ref, g.Pass]] = {}


def explained(done: g.Pass) -> g.Pass:
    """The pass with each step's explanation written.

    engine.run leaves them to whoever shows a pass: a loop keeps up to 20 passes, and a
    person reads one at a time.
    """
    if all(s.explanation for s in done.steps):
        return done
    key = id(done)
    known = _EXPLAINED.get(key)
    if known is not None and known[0]() is done:
        return known[1]
    with collector_paused():
        steps = tuple(s.explained_as(explain(s, done.graph, done.steps)) for s in done.steps)
    out = replace(done, steps=steps)
    _EXPLAINED[key] = (weakref.ref(done, partial(_forget, key)), out)
    return out


def _forget(key: int, _: object) -> None:
    _EXPLAINED.pop(key, None)


def output_symbol(graph: g.Graph) -> str:
    """The one name the chain rule gives the output, as the graph draws it: y, loss, or L
    (drawn "L = y.sum()")."""
    node = graph.node(graph.output) if graph.output else None
    if node is None:
        return "L"
    return node.name or node.label


def produces(graph: g.Graph, node_id: str) -> str:
    """What a node's output is called in a formula: the output's symbol for the op that
    makes it, the op's variable name, or its maths (x² + 3 × x) in the graph's symbols."""
    into_output = graph.output is not None and any(
        e.src == node_id for e in graph.edges_into(graph.output)
    )
    if into_output:
        return output_symbol(graph)
    return expression(graph, node_id)


def d(out: str, of: str) -> str:
    """∂out/∂of, with `of` in parentheses when it is compound."""
    return f"∂{out}/∂{_wrap(of)}"


def explain(step: g.Step, graph: g.Graph, steps: tuple[g.Step, ...] = ()) -> str:
    """The chain rule for one step: formula, numbers, and where each gradient goes.

    steps (the whole pass) let a step say what it sums: the gradients that met at its node.
    """
    out = output_symbol(graph)
    if step.leaf is not None:
        return _accumulate(step, step.leaf, graph, steps)
    node = graph.node(step.node)
    g_sym = d(out, produces(graph, step.node))
    arriving = fmt_value(step.grad_outputs[0]) if step.grad_outputs else g_sym
    came = arrival(graph, step, steps, arriving if len(step.grad_outputs) == 1 else None)
    lines = [f"{step.op} ({node.label}) runs: {g_sym} = {came} arrives."]
    formulas = FORMULAS.get(base_name(step.op))
    operands = _operands(step, graph)
    # Operands are wrapped in parentheses so that "∂L/∂y · (a + b)" keeps its precedence.
    names = _slots({k: _operand(expression(graph, o.id)) for k, o in operands.items()})
    values = _slots({k: _value_text(graph, o) for k, o in operands.items()})
    count, result = _extras(node, operands)
    names.update(N=count, s=_unwrap_twice(f"softmax({names['a']})"))
    values.update(N=count, s=result or f"softmax({values['a']})")
    arrived_shape = _shape(step.grad_outputs[0]) if step.grad_outputs else None
    repeated = _repeated_targets(step)
    for slot, (grad, target) in enumerate(zip(step.grad_inputs, step.targets, strict=False)):
        if target is None or grad is None:
            continue
        who = d(out, expression(graph, target))
        if target in repeated:  # a·a: two lines for a, told apart by where each comes from
            who += f" ({position(graph, step.node, slot)})"
        sent = fmt_value(grad)
        formula = formulas[slot] if formulas and slot < len(formulas) else None
        if formula is not None and _missing(formula, operands):
            formula = None  # an operand the picture does not show: no letters stand in
        if formula is not None:
            rule = _unwrap_twice(formula.format(g=g_sym, n=node.exponent_text or "n", **names))
            numbers = formula.format(g=arriving, n=node.exponent_text or "n", **values)
            plain = "—" not in numbers and not PROSE.search(numbers)
            shown = f" = {numbers}" if plain and numbers != sent else ""
            if base_name(step.op) in BROADCASTING and _shape(grad) != arrived_shape:
                # The operand was broadcast forward, so its gradient is summed back down.
                rule += ", summed over the broadcast dimensions"
                into = f"shape {fmt_shape(_shape(grad))}" if _shape(grad) else "a scalar"
                before = numbers if plain else fmt_value(step.grad_outputs[0])
                shown = f" = {before} summed to {into}"
            lines.append(f"{who} = {rule}{shown} = {sent}")
        elif formulas is None:
            lines.append(f"{who} = {sent} (no formula shown for {step.op})")
        else:
            lines.append(f"{who} = {sent}")
    if len(lines) == 1:
        lines.append("No input needs a gradient, so nothing is sent on.")
    return "\n".join(lines)


def _missing(formula: str, operands: dict[int, g.Node]) -> bool:
    """Whether a formula names an operand the graph does not have (a constant not seen)."""
    slots = {"{a}": 0, "{b}": 1, "{b1}": 1, "{b2}": 2}
    return any(key in formula and slot not in operands for key, slot in slots.items())


def _repeated_targets(step: g.Step) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for target, grad in zip(step.targets, step.grad_inputs, strict=False):
        if target is not None and grad is not None:
            (twice if target in seen else seen).add(target)
    return twice


def position(graph: g.Graph, node_id: str, slot: int) -> str:
    """Where an input sits on an op, as the picture shows it: left of ×, right of ×."""
    node = graph.node(node_id)
    key = ("inputs", node_id)
    if key not in graph.memo:  # asked once per input of a cat of thousands
        graph.memo[key] = sum(e.kind in (g.GRAD, g.DATA) for e in graph.edges_into(node_id))
    if base_name(node.op or "") in INFIX and graph.memo[key] == 2 and slot in (0, 1):
        return f"{'left' if slot == 0 else 'right'} of {node.label}"
    return f"input {slot + 1} of {node.label}"


MAX_TERMS = 6  # terms of a sum written out; more are counted


def _sent_to(graph: g.Graph, steps: tuple[g.Step, ...]) -> dict[str, list[tuple]]:
    """Node id -> what the steps sent it, in step order: (step index, sender, slot, grad).

    Built once per pass (every step asks), so a pass of n steps is explained in linear time.
    """
    known = graph.memo.get(("sent to",))
    if known is not None and known[0] is steps:
        return known[1]
    index: dict[str, list[tuple]] = {}
    for s in steps:
        for slot, (grad, target) in enumerate(zip(s.grad_inputs, s.targets, strict=False)):
            if target is not None:
                index.setdefault(target, []).append((s.index, s.node, slot, grad))
    graph.memo[("sent to",)] = (steps, index)
    return index


def contributions(
    graph: g.Graph, steps: tuple[g.Step, ...], node_id: str, before: int | None = None
) -> list[tuple[str, str]]:
    """The gradients torch summed into `node_id`'s input, each as (value text, where from),
    in the order a person reads the program (a·a + a: left of ×, right of ×, from +).

    Only those sent by steps before step `before` (all of them when None)."""
    found = [
        (src, slot, grad)
        for at, src, slot, grad in _sent_to(graph, steps).get(node_id, ())
        if grad is not None and (before is None or at < before)
    ]
    if len(found) < 2:
        return []
    rank = _reading_order(graph)
    found.sort(key=lambda f: rank.get((f[0], f[1]), len(rank)))
    per_source: dict[str, int] = {}
    for src, _, _ in found:
        per_source[src] = per_source.get(src, 0) + 1

    def term(src: str, slot: int, grad: object) -> tuple[str, str]:
        label = graph.node(src).label
        return fmt_value(grad), position(graph, src, slot) if per_source[
            src
        ] > 1 else f"from {label}"

    if len(found) <= MAX_TERMS:
        return [term(*f) for f in found]
    # torch.cat([x] * 1000): a thousand terms read as none; the first few, then the last.
    hidden = len(found) - MAX_TERMS
    return [*(term(*f) for f in found[: MAX_TERMS - 1]), ("…", f"{hidden:,} more"),
            term(*found[-1])]  # fmt: skip


def _reading_order(graph: g.Graph) -> dict[tuple[str, int], int]:
    """(op, slot) -> its place in a depth-first walk from the output, inputs by slot: the
    order the program's text names the operands in."""
    key = ("reading order",)
    if key in graph.memo:
        return graph.memo[key]
    by_dst: dict[str, list[tuple[int, str]]] = {}  # op -> its inputs as (slot, source)
    for e in graph.edges:
        if e.kind == g.GRAD and e.slot is not None:
            by_dst.setdefault(e.dst, []).append((e.slot, e.src))
    for inputs in by_dst.values():
        inputs.sort()
    rank: dict[tuple[str, int], int] = {}
    roots = [e.src for e in graph.edges_into(graph.output)] if graph.output else []
    stack = [(r, iter(by_dst.get(r, ()))) for r in roots]
    seen = set(roots)
    while stack:
        dst, rest = stack[-1]
        found = next(rest, None)
        if found is None:
            stack.pop()
            continue
        slot, src = found
        rank.setdefault((dst, slot), len(rank))
        if src not in seen:
            seen.add(src)
            stack.append((src, iter(by_dst.get(src, ()))))
    graph.memo[key] = rank
    return rank


def arrival(
    graph: g.Graph, step: g.Step, steps: tuple[g.Step, ...] = (), arrived: str | None = None
) -> str:
    """The gradient arriving at a step: its value, or where several met, their sum
    (2.0 (left of ×) + 2.0 (right of ×) + 1.0 (from +) = 5.0), every number torch's.

    arrived: the arriving gradients' text, when the caller has written it already."""
    if arrived is None:
        arrived = ", ".join(fmt_value(v) for v in step.grad_outputs) or "nothing"
    if len(step.grad_outputs) != 1:
        return arrived
    parts = contributions(graph, steps, step.node, before=step.index)
    if not parts:
        return arrived
    return " + ".join(f"{v} ({w})" for v, w in parts) + f" = {arrived}"


def _accumulate(step: g.Step, leaf_id: str, graph: g.Graph, steps: tuple[g.Step, ...]) -> str:
    return f"AccumulateGrad (+=): {leaf_write(graph, step, steps)}."


def leaf_write(graph: g.Graph, step: g.Step, steps: tuple[g.Step, ...] = ()) -> str:
    """What AccumulateGrad wrote, as a sum of torch's values: a.grad = 2.0 (left of ×) +
    2.0 (right of ×) + 1.0 (from +) = 5.0, or w.grad = 18.0 (already there) + 9.0 = 27.0."""
    leaf = graph.node(step.leaf).label if step.leaf else "leaf"
    arrived = fmt_value(step.grad_outputs[0] if step.grad_outputs else None)
    parts = contributions(graph, steps, step.node, before=step.index) if step.grad_outputs else []
    terms = [f"{v} ({w})" for v, w in parts]
    if not terms:
        source = _single_source(graph, steps, step.node, before=step.index)
        terms = [f"{arrived} ({source})" if source else arrived]
    if step.grad_before is not None:
        terms.insert(0, f"{fmt_value(step.grad_before)} (already there)")
    if len(terms) == 1 and step.grad_before is None:
        return f"{leaf}.grad = {arrived}"
    return f"{leaf}.grad = {' + '.join(terms)} = {fmt_value(step.grad_after)}"


def _single_source(graph: g.Graph, steps: tuple[g.Step, ...], node_id: str, before: int) -> str:
    for at, src, _, _ in _sent_to(graph, steps).get(node_id, ()):
        if at < before:
            return f"from {graph.node(src).label}"
    return ""


def _operands(step: g.Step, graph: g.Graph) -> dict[int, g.Node]:
    """The op's operands by position: differentiable inputs by slot, constants in the gaps."""
    consts = iter(graph.node(e.src) for e in graph.edges_into(step.node) if e.kind == g.DATA)
    out: dict[int, g.Node] = {}
    for slot, target in enumerate(step.targets):
        node = _tensor_behind(graph, target) if target else next(consts, None)
        if node is not None:
            out[slot] = node
    for extra in consts:
        out[len(out)] = extra
    return out


def _extras(node: g.Node, operands: dict[int, g.Node]) -> tuple[str, str | None]:
    """{N}, how many elements a mean divides by, and softmax's saved result as text."""
    saved = {s.name: s for s in node.saved}
    first = operands.get(0)
    count = 1
    for d in first.shape if first is not None and first.shape else ():
        count *= d
    if "self_sym_numel" in saved:  # MeanBackward0 records how many elements it averaged
        count = int(saved["self_sym_numel"].text)
    if "reduction" in saved and saved["reduction"].text != "1":
        count = 1  # a loss with reduction="sum" (2) or "none" (0) does not divide
    result = saved.get("result")
    return str(count), fmt_value(result.value) if result and result.value is not None else None


def _shape(value) -> tuple[int, ...]:
    """The shape of a nested-tuple value (() for a number)."""
    shape = []
    while isinstance(value, (tuple, list)):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def _unwrap_twice(text: str) -> str:
    """exp((a + b)) -> exp(a + b): a wrapped operand inside a function's own parentheses,
    however deep its own parentheses go (tanh²(((… × 1.01) + 0.1)) had three)."""
    if "((" not in text:
        return text
    closing: dict[int, int] = {}  # where each "(" closes
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            closing[opened.pop()] = i
    dropped = {
        i + 1
        for i, end in closing.items()
        if text[i + 1 : i + 2] == "(" and closing.get(i + 1) == end - 1
    }
    dropped |= {closing[i] for i in dropped}
    return "".join(ch for i, ch in enumerate(text) if i not in dropped)


def _slots(by_slot: dict[int, str]) -> dict[str, str]:
    get = by_slot.get
    return {"a": get(0, "a"), "b": get(1, "b"), "b1": get(1, "b"), "b2": get(2, "c")}


def _tensor_behind(graph: g.Graph, node_id: str) -> g.Node:
    """AccumulateGrad stands for its leaf; anything else stands for itself."""
    node = graph.node(node_id)
    leaf = graph.leaf_of(node_id) if node.kind == g.ACCUMULATE else None
    return graph.node(leaf) if leaf is not None else node


INFIX = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "/", "Dot": "·", "Mm": "@", "Mv": "@",
         "Matmul": "@", "Rsub": "−"}  # fmt: skip
POSTFIX = {"T", "Transpose", "Select", "Index", "Slice"}
# Ops drawn with a placeholder formula (x@Wᵀ+b, log(1+x)): the same formula, operands by slot.
TEMPLATES = {"Addmm": "{1} @ {2} + {0}", "Addmv": "{1} @ {2} + {0}", "Log1P": "log(1 + {0})",
             "Abs": "|{0}|", "Reciprocal": "1/{0}", "Neg": "−{0}"}  # fmt: skip
MAX_EXPRESSION = 28  # longer expressions are written shallower, with … for what is deeper


def expression(graph: g.Graph, node_id: str, depth: int = 3, *, named: bool = True) -> str:
    """Readable maths for what a node computes, e.g. x² + 3·x; short names for deep parts.

    named=False gives the formula of a node that has a name of its own (h = x × 3).
    """
    key = ("expression", node_id, depth, named)
    if key not in graph.memo:
        graph.memo[key] = _expression(graph, node_id, depth, named)
    return graph.memo[key]


def _expression(graph: g.Graph, node_id: str, depth: int, named: bool) -> str:
    node = _tensor_behind(graph, node_id)
    if (node.is_tensor and named) or (node.name and named):
        return node.name or node.label
    if depth == 0:
        return "…"  # deeper than a formula can carry: the picture shows what is there
    ops = _operand_edges(graph, node.id)
    parts = [_operand(expression(graph, e.src, depth - 1)) for e in ops]
    base = base_name(node.op or "")
    if base in INFIX and len(parts) == 2:
        text = f"{parts[0]} {INFIX[base]} {parts[1]}"
    elif base == "Pow" and parts:
        text = parts[0] + (node.exponent_text or "n").translate(SUPERSCRIPTS)
    elif base in POSTFIX and parts:
        text = parts[0] + node.label  # Wᵀ, a[i], a[idx]
    elif base in TEMPLATES and len(parts) == TEMPLATES[base].count("{"):
        text = TEMPLATES[base].format(*parts)  # x @ Wᵀ + b with the operands' own names
    elif parts:
        inner = [expression(graph, e.src, depth - 1) for e in ops]  # no extra parentheses
        text = f"{node.label}({', '.join(inner)})"
    else:
        text = node.label
    if len(text) > MAX_EXPRESSION and depth > 1:
        return expression(graph, node_id, depth - 1, named=named)  # shallower, … for the rest
    return text


def _value_text(graph: g.Graph, node: g.Node) -> str:
    key = ("value", node.id)
    if key not in graph.memo:
        graph.memo[key] = fmt_value(node.value)
    return graph.memo[key]


def _operand_edges(graph: g.Graph, node_id: str) -> list[g.Edge]:
    """An op's input edges in argument order: slots from autograd, constants in the gaps.

    X @ W with a constant X has W at slot 1 and X with no slot: X goes back to position 0.
    """
    key = ("operands", node_id)
    if key not in graph.memo:
        graph.memo[key] = _ordered_operand_edges(graph, node_id)
    return graph.memo[key]


def _ordered_operand_edges(graph: g.Graph, node_id: str) -> list[g.Edge]:
    edges = [e for e in graph.edges_into(node_id) if e.kind in (g.GRAD, g.DATA)]
    by_slot = {e.slot: e for e in edges if e.slot is not None}
    consts = iter(e for e in edges if e.slot is None)
    ordered = []
    for position in range(len(edges)):
        edge = by_slot.get(position) or next(consts, None)
        if edge is not None:
            ordered.append(edge)
    placed = {id(e) for e in ordered}
    ordered += [e for e in edges if id(e) not in placed]  # slots past the gaps, in order
    return ordered


@lru_cache(maxsize=4096)
def _wrap(text: str) -> str:
    """Parentheses around a compound expression, unless one pair already encloses all of it."""
    return text if " " not in text or _enclosed(text) else f"({text})"


@lru_cache(maxsize=4096)
def _operand(text: str) -> str:
    """An operand as a formula writes it: wrapped when compound, but one function's call
    as it is (tanh(a + b) × 2, not (tanh(a + b)) × 2). After a ∂ a call keeps _wrap's
    parentheses: ∂L/∂(tanh(a + b))."""
    return text if _call(text) else _wrap(text)


def _call(text: str) -> bool:
    """Whether text is a name applied to everything after it: tanh(…), softmax(a, 1)."""
    name, paren, _ = text.partition("(")
    return bool(paren) and bool(name) and " " not in name and _enclosed(text[len(name) :])


def _enclosed(text: str) -> bool:
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(text) - 1:
            return False  # "(a − b) · (a + b)": the first pair closes before the end
    return True


def break_rows(done: g.Pass) -> tuple[str, ...]:
    """Where a pass broke, as short rows for the picture: ✗ and what torch refused."""
    broke = done.broke
    if broke is None:
        return ()
    if broke.version is not None:
        holder = f" {broke.tensor}" if broke.tensor else ""
        return (f"✗ saved {broke.saved or 'tensor'}{holder} changed in place",
                f"version {broke.version}, expected {broke.expected}")  # fmt: skip
    if "scalar outputs" in broke.message:
        return ("✗ backward() needs a scalar:", "grad can be implicitly created",
                "only for scalar outputs")  # fmt: skip
    if "second time" in broke.message:
        return ("✗ its saved tensors were freed", "by the backward() before")
    return ("✗ backward() stopped here",)


def break_text(done: g.Pass) -> str:
    """Where a pass broke and why, in one or two sentences with torch's own words."""
    broke = done.broke
    if broke is None:
        return ""
    graph = done.graph
    node = graph.node(broke.node)
    where = f"{node.op} ({node.label})" if node.op else node.label
    if broke.version is not None:
        holder = f" {broke.tensor}" if broke.tensor else ""
        return (
            f"backward() stopped at {where}: it saved {broke.saved or 'a tensor'}{holder} for "
            f"backward, and{holder or ' it'} was changed in place afterwards (its version "
            f"counter is {broke.version}, the op expected {broke.expected})."
        )
    if "scalar outputs" in broke.message:
        size = 1
        for d in node.shape or ():
            size *= d
        return (
            f"backward() stopped before its first step: {node.label} holds {size:,} numbers, "
            f"and {broke.message} (∂{node.label}/∂{node.label} = 1 needs one number)."
        )
    return f"backward() stopped at {where}: {broke.message}"


NBSP = "\u00a0"


WORD_JOINER = "\u2060"  # no line break here: ∂y/∂x stays one piece


def unbroken(text: str) -> str:
    """Text whose vectors and fractions never break across lines: spaces inside brackets,
    and inside the parentheses of ∂(a × a), made non-breaking; ∂y/∂x joined after the /."""
    out: list[str] = []
    held: list[bool] = []  # per open bracket: whether its spaces are held together
    for i, ch in enumerate(text):
        if ch in "[(":
            held.append(ch == "[" or (i > 0 and text[i - 1] == "∂") or bool(held and held[-1]))
        elif ch in "])" and held:
            held.pop()
        if ch == " " and held and held[-1]:
            out.append(NBSP)
            continue
        out.append(ch)
        if ch == "/" and text[i + 1 : i + 2] == "∂":
            out.append(WORD_JOINER)
    return "".join(out)
