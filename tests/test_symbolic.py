"""engine.symbolic: the textbook derivative of elementwise maths, next to autograd's."""

import torch

import engine
from engine.symbolic import symbolic_derivative

LESSON = """import torch
x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x**2 + 3*x
y.sum().backward()
"""


def test_lesson_derivative_is_2x_plus_3():
    """For y = x**2 + 3*x the derivative is 2*x + 3, which gives [7, 9] as autograd does."""
    run = engine.run(LESSON)
    sym = symbolic_derivative(run.graph)
    assert sym.function == "x**2 + 3*x"
    assert sym.derivative == "2*x + 3"
    assert sym.summed
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    (x**2 + 3 * x).sum().backward()
    assert sym.values == tuple(x.grad.tolist())


def test_transcendental_values_match_autograd():
    """sigmoid, exp and a quotient: sympy's f'(x) at the inputs matches autograd's grad."""
    run = engine.run("x = param([0.5, -1.0])\ny = sigmoid(x) * exp(x) / (1 + x**2)\n")
    sym = symbolic_derivative(run.graph)
    assert sym is not None
    got = torch.tensor(sym.values, dtype=torch.float64)
    want = torch.tensor(run.tensors["x"].effective_grad, dtype=torch.float64)
    assert torch.allclose(got, want, atol=1e-5)


def test_not_elementwise_gives_none():
    """A dot product with a vector constant is not scalar maths: no symbolic derivative."""
    run = engine.run("x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\ny = w·x + 1\n")
    assert symbolic_derivative(run.graph) is None


def test_two_leaves_gives_none():
    """Two leaves are not a function of one input: no symbolic derivative."""
    run = engine.run("a = param(2.0)\nb = param(3.0)\ny = a * b\n")
    assert symbolic_derivative(run.graph) is None


def test_curve_samples_the_function():
    """curve() samples f itself: at x = 2 the lesson's x**2 + 3*x is 10, as torch computes."""
    from engine.symbolic import curve

    sym = symbolic_derivative(engine.run(LESSON).graph)
    xs, ys = curve(sym, 0.0, 4.0, n=5)
    x = torch.tensor(xs)
    assert ys == (x**2 + 3 * x).tolist()


def test_lone_leaf_and_deep_graph_give_none():
    """A lone leaf, or 200 ops deep, gives None instead of raising."""
    assert symbolic_derivative(engine.run("x = param(2.0)\n").graph) is None
    deep = "x = param(0.5)\ny = x\nfor i in range(200):\n    y = sin(y)\n"
    assert symbolic_derivative(engine.run(deep).graph) is None
