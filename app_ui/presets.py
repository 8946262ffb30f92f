"""Example programs that load in one click: the lesson's three, then what a course needs next."""

from __future__ import annotations

DEFAULT_PROGRAM = """\
# y = w·x + b, the lesson's linear model in math style
x = [1.0, 2.0, 3.0]
w = param([0.1, 0.2, 0.3])
b = param(1.0)
y = w·x + b
"""

PRESETS: dict[str, str] = {
    "x² + 3x": """\
import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x**2 + 3*x
print("y:", y)

y.sum().backward()  # use .sum() because y is a vector
print("dy/dx:", x.grad)  # 2x + 3 => [7., 9.]
""",
    "no_grad & detach": """\
import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
with torch.no_grad():
    z = x * 2
    print("No grad tensor z:", z)

z_detached = x.detach()
print("Detached z:", z_detached)

# z and z_detached enter as constants: no gradient flows back through them
y = x * z + z_detached
""",
    "Linear model w·x + b": """\
import torch

# Inputs and parameters
x = torch.tensor([1.0, 2.0, 3.0])
w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)

# Linear model
y = torch.dot(w, x) + b
print("Output y:", y)

y.backward()
print("Gradient of w:", w.grad)
print("Gradient of b:", b.grad)
""",
    "w·x + b (math style)": DEFAULT_PROGRAM,
    "Sigmoid neuron": """\
# One neuron: a weighted sum, then a squashing function
x = [0.5, -1.0]
w = param([0.8, 0.3])
b = param(0.1)
y = sigmoid(w·x + b)
""",
    "Shared variable a·a + a": """\
# `a` is used three times, so three gradients add up in a.grad (2a + 1).
# It is not defined here: set its value in the variables table below.
y = a*a + a
""",
    "Accumulation & zero_()": """\
import torch

w = torch.tensor(2.0, requires_grad=True)

y = w * 3
y.backward()
print("after the 1st backward:", w.grad)

y = w * 3
y.backward()
print("after the 2nd backward:", w.grad)  # 3 + 3: .grad accumulates

w.grad.zero_()
print("after zero_():", w.grad)
""",
    "Two-layer MLP": """\
import torch

x = torch.tensor([[1.0, 2.0]])
target = torch.tensor([[1.0]])
model = torch.nn.Sequential(
    torch.nn.Linear(2, 3),
    torch.nn.ReLU(),
    torch.nn.Linear(3, 1),
)
y = model(x)
loss = ((y - target) ** 2).mean()
loss.backward()
print("loss:", loss.item())
""",
    "Softmax cross-entropy": """\
import torch
import torch.nn.functional as F

logits = torch.tensor([[2.0, 1.0, 0.1]], requires_grad=True)
target = torch.tensor([0])
loss = F.cross_entropy(logits, target)
loss.backward()
print("loss:", loss.item())
print("dloss/dlogits:", logits.grad)  # softmax(logits) - one_hot(target)
""",
    "Training loop": """\
import torch

x = torch.tensor([1.0, 2.0, 3.0, 4.0])
y_true = 2 * x + 1
w = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
opt = torch.optim.SGD([w, b], lr=0.05)

for step in range(5):
    y = w * x + b
    loss = ((y - y_true) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step}: loss={loss.item():.3f}  w={w.item():.3f}  b={b.item():.3f}")
""",
    "Broadcast bias": """\
import torch

X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # 3 samples × 2 features
W = torch.tensor([[0.5], [-0.5]], requires_grad=True)
b = torch.tensor([0.1], requires_grad=True)  # one bias, broadcast over the 3 rows
y = X @ W + b
y.sum().backward()
print("b.grad:", b.grad)  # 3: the bias was used once per row, so its gradients add up
""",
}
