"""Plotly pictures where a picture beats a table: f(x) with tangents, gradients, a loop's loss."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_ui.checks import flat, leaf_and_gradient, output_name, symbolic_for

FONT = 18  # readable from the back of a lecture hall
MAX_BARS = 64  # more elements than this read better in the tensors table
MAX_LINES = 8  # parameters drawn per iteration: beyond this the plot is a tangle


def _layout(fig, title: str, x: str, y: str):
    """Projector-sized fonts; colours and background are left to Streamlit's light/dark theme."""
    fig.update_layout(
        title={"text": title, "font": {"size": FONT + 2}},
        font={"size": FONT},
        xaxis_title=x,
        yaxis_title=y,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"font": {"size": FONT - 2}},
        height=380,
    )
    # Streamlit's theme shrinks tick labels; a projector needs them as big as the rest.
    axis = {"tickfont": {"size": FONT - 2}, "title_font": {"size": FONT}}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    return fig


def tangent_figure(sym, xs: list[float], grads: list[float], fx: list[float]):
    """f over a range around the inputs, and at each input the tangent of slope f'(x)."""
    import plotly.graph_objects as go

    from engine.symbolic import curve

    # Wide enough that the curve visibly bends away from each tangent.
    span = max(max(xs) - min(xs), 3.0)
    lo, hi = min(xs) - span, max(xs) + span
    cx, cy = curve(sym, lo, hi, 200)
    fig = go.Figure(go.Scatter(x=cx, y=cy, mode="lines", name=f"f({sym.variable})",
                               line={"width": 3}))  # fmt: skip
    half = span / 2  # each tangent is drawn over a stretch around its point
    for x0, y0, slope in zip(xs, fx, grads, strict=True):
        tx = [x0 - half, x0 + half]
        fig.add_trace(go.Scatter(
            x=tx, y=[y0 + slope * (t - x0) for t in tx], mode="lines",
            name=f"slope {slope:.4g} at {sym.variable} = {x0:.4g}", line={"dash": "dash"},
        ))  # fmt: skip
    fig.add_trace(go.Scatter(x=xs, y=fx, mode="markers", name="inputs", marker={"size": 12}))
    return _layout(fig, f"f({sym.variable}) = {sym.function}", sym.variable, "f")


def gradient_figures(leaves: dict[str, Any]) -> list[tuple[str, Any]]:
    """(title, figure): one bar chart for every number and vector, a heatmap per matrix."""
    import plotly.graph_objects as go

    bars = go.Figure()
    figs = []
    for name, grad in leaves.items():
        if grad is None or len(flat(grad)) > MAX_BARS:
            continue
        if isinstance(grad, list) and len(grad) > 1 and isinstance(grad[0], list):
            fig = go.Figure(go.Heatmap(z=grad, colorscale="RdBu", zmid=0, texttemplate="%{z:.3g}",
                                       textfont={"size": FONT}))  # fmt: skip
            fig.update_yaxes(autorange="reversed", dtick=1)  # row 0 on top, as written
            fig.update_xaxes(dtick=1)
            figs.append((f"{name}.grad", _layout(fig, f"{name}.grad", "column", "row")))
            continue
        values = flat(grad)
        labels = [f"{name}[{i}]" for i in range(len(values))] if len(values) > 1 else [name]
        bars.add_trace(go.Bar(x=labels, y=values, name=f"{name}.grad", textposition="outside",
                              cliponaxis=False,
                              text=[f"{v:.4g}" for v in values]))  # fmt: skip
    if bars.data:
        bars.update_layout(showlegend=len(bars.data) > 1)
        figs.insert(0, ("gradients", _layout(bars, ".grad of each parameter", "", "gradient")))
    return figs


def history_figures(history) -> list[Any]:
    """The loss per backward call, and each small parameter per backward call."""
    import plotly.graph_objects as go

    numbers = [i.number for i in history]
    loss = go.Figure(go.Scatter(x=numbers, y=[_number(i.value) for i in history],
                                mode="lines+markers", name=history[0].output))  # fmt: skip
    figs = [_layout(loss, f"{history[0].output} per backward call", "backward call", "value")]
    loss.update_xaxes(dtick=1)  # calls are whole numbers
    params = go.Figure()
    names = [n for n, _ in history[0].leaves]
    for name in names:
        series = [flat(dict(i.leaves).get(name)) for i in history]
        for k in range(min(len(series[0]), MAX_LINES)):
            label = name if len(series[0]) == 1 else f"{name}[{k}]"
            params.add_trace(go.Scatter(x=numbers, y=[s[k] for s in series],
                                        mode="lines+markers", name=label))  # fmt: skip
    if params.data:
        params.update_xaxes(dtick=1)
        figs.append(_layout(params, "parameters per backward call", "backward call", "value"))
    return figs


def _number(value: Any) -> float | None:
    values = flat(value) if value is not None else []
    return values[0] if len(values) == 1 else None


def _show(fig, key: str, caption: str) -> None:
    st.plotly_chart(fig, key=key, width="stretch", config={"displaylogo": False})
    st.caption(caption)


def plots_ui(run, shown) -> None:
    """The Plots tab: each picture that fits this program, with one line on how to read it."""
    drawn = False
    pass_ = None
    if shown:
        sym = symbolic_for(shown)
        pass_ = shown.pass_()
        if sym is not None:
            value, grad = leaf_and_gradient(pass_, sym.variable)
            xs, grads = flat(value), flat(grad)
            fx = [_f(sym, x) for x in xs]
            y = output_name(pass_)
            _show(tangent_figure(sym, xs, grads, fx), "plot-tangent",
                  f"Each dashed line touches f at an input; its slope is d{y}/d{sym.variable} "
                  f"there, the gradient autograd wrote into {sym.variable}.grad.")  # fmt: skip
            drawn = True
    # Several passes: the .grad of the pass on screen, not the last one's.
    on_screen = pass_ if pass_ is not None and len(run.passes) > 1 else None
    leaf_grads = grads_of_pass(on_screen) if on_screen is not None else {}
    after = ""
    if on_screen is not None and leaf_grads:
        after = f" This is .grad after backward #{on_screen.number}, the pass on screen."
    leaf_grads = leaf_grads or {
        n: t.effective_grad
        for n, t in run.tensors.items()
        if t.is_leaf and t.effective_grad is not None
    }
    for title, fig in gradient_figures(leaf_grads):
        _show(fig, f"plot-{title}",
              "How much the output changes per unit change of each element: the sign says "
              f"which way is uphill, the size how steep.{after}")  # fmt: skip
        drawn = True
    if len(run.history) > 1:
        loss, *params = history_figures(run.history)
        if on_screen is not None:  # where the pass on screen sits in the loop
            number = on_screen.number
            loss.add_vline(x=number, line_dash="dot", annotation_text=f"#{number}")
        _show(loss, "plot-loss", "The output of every backward call: in training, the loss "
              "going down is the gradient at work.")  # fmt: skip
        for fig in params:
            _show(fig, "plot-params", "Each parameter's value at every backward call: "
                  "what the optimizer's steps did to it.")  # fmt: skip
        drawn = True
    if not drawn:
        st.caption("No picture for this program: it has no gradient to plot yet.")


def grads_of_pass(done) -> dict[str, Any]:
    """Each named leaf's .grad as one backward pass left it (torch's values, as lists)."""
    out = {}
    for step in done.steps:
        if step.leaf is not None and step.grad_after is not None:
            name = done.graph.node(step.leaf).name
            if name:
                out[name] = _listed(step.grad_after)
    return out


def _listed(value: Any) -> Any:
    return [_listed(v) for v in value] if isinstance(value, (tuple, list)) else value


def _f(sym, x: float) -> float:
    """f at one point, through the engine's own sampler (a range of one point)."""
    from engine.symbolic import curve

    return curve(sym, x, x + 1.0, 2)[1][0]
