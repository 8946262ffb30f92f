"""Pitfalls a course shows on purpose: each program comes with one sentence of guidance.

Most of them stop with an error. That is the lesson: the page shows the engine's clear
message (never a traceback) and the guidance says what went wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """A program that shows one pitfall, and the sentence that explains it."""

    program: str
    guidance: str


SCENARIOS: dict[str, Scenario] = {
    "Backward twice": Scenario(
        """\
import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = (x ** 2).sum()
y.backward()
print("x.grad after the 1st backward:", x.grad)
y.backward()  # the 1st call freed what the graph saved
""",
        "backward() frees the tensors the graph saved, so a second call on the same graph "
        "fails: pass retain_graph=True to the first call, or run the forward pass again.",
    ),
    "Forgot zero_()": Scenario(
        """\
import torch

w = torch.tensor(1.0, requires_grad=True)
for step in range(3):
    loss = (w * 3) ** 2 / 2
    loss.backward()  # no w.grad.zero_() in between
    print(f"backward {step + 1}: w.grad = {w.grad.item()}")
""",
        ".grad adds up across backward() calls (9, 18, 27 here), so a training loop calls "
        "opt.zero_grad() or w.grad.zero_() before each backward.",
    ),
    "detach & no_grad cut": Scenario(
        """\
import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = (x * x.detach()).sum()  # the 2nd factor is a constant to autograd
y.backward()
print("x.grad:", x.grad)  # x, not 2x

with torch.no_grad():
    z = x * 2  # not recorded at all
print("z.requires_grad:", z.requires_grad)
""",
        "detach() and no_grad cut the graph: autograd sees x·x.detach() as x times a "
        "constant, so x.grad is x, while the finite differences in Check see the true 2x.",
    ),
    "In-place breaks backward": Scenario(
        """\
import torch

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = a.sigmoid()  # sigmoid saves its output b for backward
b.mul_(2)        # ... and this changes b in place
b.sum().backward()
""",
        "Every tensor has a version counter that in-place ops bump; backward refuses a saved "
        "tensor whose version changed: write b = b * 2 instead of b.mul_(2).",
    ),
    "Leaf without requires_grad": Scenario(
        """\
import torch

x = torch.tensor([2.0, 3.0])  # no requires_grad=True
y = (x ** 2).sum()
y.backward()
""",
        "Autograd only records operations on tensors that require grad: create x with "
        "requires_grad=True (or param(...)) and backward has a graph to run through.",
    ),
    "Non-scalar output": Scenario(
        """\
import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x ** 2 + 3 * x
y.backward()  # y holds 2 numbers
""",
        "backward() starts from ∂y/∂y = 1, which only makes sense for one number: call "
        "y.sum().backward() (as in the lesson) or pass y.backward(torch.ones_like(y)).",
    ),
}


def active_scenario(program: str) -> Scenario | None:
    """The scenario whose program is in the editor, unchanged; None once it is edited."""
    for scenario in SCENARIOS.values():
        if scenario.program == program:
            return scenario
    return None
