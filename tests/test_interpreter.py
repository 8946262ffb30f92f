"""The interpreter against CPython + torch: the lesson, 40+ programs, math style, interface."""

# ruff: noqa: E501 - the lesson and the test programs are kept verbatim, long lines included

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so a fresh checkout runs without `pip install -e .`

from engine.interpreter import execute  # noqa: E402

# The seed lesson (/work/shared/seeds/autograd-lesson.txt), verbatim.
LESSON = (
    "# 📘 Session 2: PyTorch Autograd & Gradients!\n"
    "Welcome to Session 2! In this notebook, we will explore how PyTorch handles automatic differentiation using the autograd engine. This is the backbone of how neural networks learn.\n"
    "\n"
    "\n"
    "## 🔍 1. Introduction to `autograd`\n"
    "`autograd` is PyTorch's automatic differentiation engine. It powers neural network training by \n"
    "automatically computing the gradients (derivatives) of tensors that have `requires_grad=True`.\n"
    "\n"
    "\n"
    "In [1]:\n"
    "import torch\n"
    "\n"
    "# A simple tensor with requires_grad=True\n"
    "x = torch.tensor([2.0, 3.0], requires_grad=True)\n"
    'print(f"x: {x}")\n'
    "\n"
    "\n"
    "x: tensor([2., 3.], requires_grad=True)\n"
    "\n"
    "\n"
    "## ✍️ 2. Gradient Computation Example\n"
    "Let's compute the gradient of a function with respect to x. Let:\n"
    "\n"
    "\n"
    "\n"
    "In [5]:\n"
    "y = x**2 + 3*x\n"
    "\n"
    "\n"
    "\n"
    "The derivative (dy/dx) should be `2x + 3`.\n"
    "\n"
    "\n"
    "In [6]:\n"
    "# Define a function\n"
    "y = x**2 + 3*x\n"
    'print("y:", y)\n'
    "\n"
    "# Compute gradients (backpropagate)\n"
    "y.sum().backward()  # Use .sum() because y is a vector\n"
    "\n"
    "# Gradients will be stored in x.grad\n"
    'print("dy/dx:", x.grad)  # Expected: 2*x + 3 => [7.0, 9.0]\n'
    "\n"
    "\n"
    "y: tensor([10., 18.], grad_fn=<AddBackward0>)\n"
    "dy/dx: tensor([7., 9.])\n"
    "\n"
    "\n"
    "## ❌ 3. Disabling Gradient Tracking\n"
    "Sometimes, during evaluation or inference, we don’t need gradients. Use `torch.no_grad()` to turn off gradient tracking temporarily.\n"
    "\n"
    "\n"
    "In [7]:\n"
    "with torch.no_grad():\n"
    "    z = x * 2\n"
    '    print("No grad tensor z:", z)\n'
    "\n"
    "# Or use detach to remove a tensor from the computation graph\n"
    "z_detached = x.detach()\n"
    'print("Detached z:", z_detached)\n'
    "\n"
    "\n"
    "No grad tensor z: tensor([4., 6.])\n"
    "Detached z: tensor([2., 3.])\n"
    "\n"
    "\n"
    "## 🧠 4. Visual: A Small Linear Model with Gradient Flow\n"
    "Let's build a mini model: `y = wx + b` and compute gradients with respect to weights and bias.\n"
    "\n"
    "\n"
    "In [8]:\n"
    "# Inputs and parameters\n"
    "x = torch.tensor([1.0, 2.0, 3.0])\n"
    "w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)\n"
    "b = torch.tensor(1.0, requires_grad=True)\n"
    "\n"
    "# Linear model\n"
    "y = torch.dot(w, x) + b\n"
    'print("Output y:", y)\n'
    "\n"
    "# Backpropagation\n"
    "y.backward()\n"
    'print("Gradient of w:", w.grad)\n'
    'print("Gradient of b:", b.grad)\n'
    "\n"
    "\n"
    "Output y: tensor(2.4000, grad_fn=<AddBackward0>)\n"
    "Gradient of w: tensor([1., 2., 3.])\n"
    "Gradient of b: tensor(1.)\n"
    "\n"
    "\n"
    "## ✅ Summary\n"
    "- `requires_grad=True` enables gradient tracking.\n"
    "- `.backward()` computes gradients.\n"
    "- Gradients are stored in `.grad` attribute.\n"
    "- Use `.detach()` or `torch.no_grad()` to stop tracking history.\n"
    "\n"
    "You're now ready to understand how training works in deep learning models! 🚀\n"
)

# Each program runs in the interpreter and, unchanged, in CPython + torch; both must agree.
PROGRAMS = {
    "lesson_linear": """
import torch
x = torch.tensor([1.0, 2.0, 3.0])
w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)
y = torch.dot(w, x) + b
print("Output y:", y)
y.backward()
print(w.grad, b.grad)
""",
    "factories": """
import torch
print(torch.ones(2, 3), torch.zeros((2,)), torch.eye(3), torch.full((2, 2), 7.0))
print(torch.arange(5), torch.arange(0, 1, 0.25), torch.linspace(0, 1, 5))
print(torch.tensor([[1, 2], [3, 4]], dtype=torch.float64), torch.empty(0).shape)
print(torch.ones_like(torch.zeros(2)), torch.zeros_like(torch.ones(3), dtype=torch.long))
""",
    "random_seeded": """
import torch
torch.manual_seed(42)
a = torch.randn(3, 2)
b = torch.rand(2)
c = torch.randn_like(b)
print(a, b, c, torch.randint(0, 10, (4,)))
""",
    "elementwise": """
import torch
x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
y = torch.exp(x) + torch.log(x) - torch.sin(x) * torch.cos(x) + torch.sqrt(x) / torch.tanh(x)
z = torch.sigmoid(y).pow(2).clamp(0.1, 0.9) + torch.relu(x - 1) + torch.abs(-x)
z.sum().backward()
print(z, x.grad)
""",
    "reductions": """
import torch
m = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], requires_grad=True)
print(m.sum(), m.sum(dim=0), m.mean(1, keepdim=True), m.max(), m.max(dim=1))
print(m.min(dim=0).values, m.prod(), m.norm(), m.std(), m.var(dim=1), m.argmax(), m.argmax(dim=1))
(m.max(dim=1).values.sum() + m.norm()).backward()
print(m.grad)
""",
    "matmul_family": """
import torch
A = torch.arange(6.0).reshape(2, 3).requires_grad_()
v = torch.tensor([1.0, -1.0, 2.0], requires_grad=True)
out = (A @ v).sum() + torch.mm(A, A.T).trace() + torch.mv(A, v).sum() + torch.outer(v, v).sum()
out = out + torch.matmul(v, v) + v.dot(v)
out.backward()
print(out, A.grad, v.grad)
""",
    "indexing": """
import torch
t = torch.arange(24.0).reshape(2, 3, 4)
print(t[0], t[1, 2], t[:, 1:3, ::2], t[..., -1], t[None, 0].shape, t[0, [0, 2]])
print(t[t > 20], t[torch.tensor([1, 0])].shape, t[0][1][2].item())
""",
    "shapes": """
import torch
x = torch.arange(6.0)
y = x.view(2, 3)
print(y.T, y.t(), y.transpose(0, 1).shape, y.permute(1, 0).shape, x.unsqueeze(0).shape)
print(y.unsqueeze(-1).squeeze().shape, y.flatten(), torch.cat([y, y]), torch.stack([x, x], dim=1).shape)
print(x.reshape(3, 2).expand(2, 3, 2).shape, y.repeat(2, 1), y.size(), y.size(1), y.dim(), y.numel())
""",
    "tensor_attributes": """
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x * 3
print(x.dtype, x.shape, x.is_leaf, y.is_leaf, x.requires_grad, y.grad_fn is None, x.grad_fn, x.grad)
print(y.grad_fn.name(), len(y.grad_fn.next_functions), x.ndim, x.tolist(), y.sum().item())
print(torch.tensor(3).dtype, torch.tensor(3.0).dtype, x.long().dtype, x.double().dtype)
""",
    "backward_gradient_arg": """
import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 3
y.backward(gradient=torch.tensor([1.0, 0.1, 0.01]))
print(x.grad)
""",
    "retain_graph_twice": """
import torch
x = torch.tensor(2.0, requires_grad=True)
y = x ** 2
y.backward(retain_graph=True)
print(x.grad)
y.backward()
print(x.grad)
""",
    "retain_grad": """
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
h = x * 2
h.retain_grad()
y = (h ** 2).sum()
y.backward()
print(h.grad, x.grad, h.retains_grad)
""",
    "detach_and_data": """
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
d = x.detach()
print(d.requires_grad, x.data, d)
y = (x * d).sum()
y.backward()
print(x.grad)
""",
    "no_grad_and_enable": """
import torch
x = torch.tensor([1.0], requires_grad=True)
with torch.no_grad():
    a = x * 2
    with torch.enable_grad():
        b = x * 2
with torch.set_grad_enabled(False):
    c = x * 2
print(a.requires_grad, b.requires_grad, c.requires_grad, torch.is_grad_enabled())
""",
    "gradient_descent": """
import torch
w = torch.tensor([0.5, -0.5], requires_grad=True)
target = torch.tensor([1.0, 2.0])
lr = 0.1
for step in range(20):
    loss = ((w - target) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        w.grad.zero_()
    if step % 5 == 0:
        print(step, round(loss.item(), 4))
print(w)
""",
    "data_update": """
import torch
p = torch.tensor([1.0, 1.0], requires_grad=True)
for i in range(3):
    loss = (p * p).sum()
    loss.backward()
    p.data -= 0.25 * p.grad
    p.grad = None
print(p, p.grad)
""",
    "in_place_methods": """
import torch
t = torch.zeros(3)
t.add_(1).mul_(3).sub_(torch.tensor([1.0, 2.0, 3.0])).div_(2)
t.fill_(t.sum())
u = t.clone()
u.zero_()
print(t, u)
""",
    "augmented_assignment": """
import torch
a = torch.ones(2, 2)
a += 1
a *= torch.tensor([1.0, 2.0])
a -= 0.5
a /= 2
a @= torch.eye(2)
b = [1]
b += [2]
n = 3
n **= 2
n //= 2
s = "ab"
s *= 2
a[0, 0] += 10
print(a, b, n, s)
""",
    "tuple_unpacking": """
import torch
a, b = torch.tensor([1.0, 2.0])
(c, d), e = (1, 2), 3
first, *middle, last = range(5)
vals, idx = torch.tensor([3.0, 1.0, 2.0]).sort()
print(a, b, c, d, e, first, middle, last, vals, idx)
""",
    "control_flow": """
import torch
total = 0
for i in range(10):
    if i == 7:
        break
    elif i % 2 == 0:
        continue
    else:
        total += i
for j in []:
    pass
else:
    total += 100
print(total, 1 < 2 < 3, 3 > 2 > 5, not total, total and "yes", 0 or "no", 1 if total else 2)
""",
    "comprehensions": """
import torch
xs = [i * i for i in range(6) if i % 2 == 0]
pairs = [(i, j) for i in range(3) for j in range(i)]
d = {k: v for k, v in zip("abc", range(3))}
s = {x % 3 for x in range(10)}
t = sum(torch.tensor(float(i)) for i in range(4))
print(xs, pairs, d, s, t)
""",
    "strings_and_formatting": """
import torch
x = torch.tensor(2.5)
name = "loss"
print(f"{name}: {x:.3f} {x.item():>8.2f} {name!r} {3:04d} {1/3:.2%} {x}")
print("{} and {:>5}".format("a", "b"), "%s=%d" % ("n", 4), "-".join(["a", "b"]), name.upper())
print("  pad ".strip(), "a,b".split(","), name.replace("o", "0"), name.startswith("l"), f"{name=}")
""",
    "print_sep_end": """
import torch
print("a", "b", sep="")
print("c", end="")
print("d", 1, None, True, sep=", ", end="!\\n")
print()
print(1.0, 0.1 + 0.2, 1e-7, 2**100, -0.0, [1.5, "x"], (1,), {"k": [1]})
""",
    "builtins": """
import torch
xs = [3, 1, 2]
print(len(xs), abs(-2), round(2.675, 2), round(3.5), sum(xs), min(xs), max(xs, default=0))
print(float("1.5"), int(3.9), bool([]), str(12), list(range(3)), tuple("ab"), dict(a=1))
print(sorted(xs, reverse=True), list(reversed(xs)), any(xs), all([1, 0]), list(enumerate(xs, 1)))
print(isinstance(torch.ones(1), torch.Tensor), isinstance(3, int), divmod(7, 2), pow(2, 10))
print(list(map(abs, [-1, 2])), chr(65), ord("A"), isinstance(xs, (list, tuple)))
""",
    "list_and_dict_methods": """
import torch
xs = [1, 2]
xs.append(3)
xs.extend([4, 5])
xs.insert(0, 0)
xs.remove(5)
last = xs.pop()
xs.reverse()
d = {"a": 1}
d.update(b=2)
d.setdefault("c", 3)
print(xs, last, xs.index(2), xs.count(1), d, list(d.keys()), list(d.values()), d.get("z", 0))
print(sorted(d.items()), d.pop("a"), d)
""",
    "nn_linear": """
import torch
import torch.nn as nn
torch.manual_seed(0)
layer = nn.Linear(3, 2)
x = torch.tensor([[1.0, 2.0, 3.0]])
y = layer(x)
y.sum().backward()
print(layer, y, layer.weight.grad, layer.bias.grad, layer.in_features, layer.out_features)
""",
    "nn_sequential_training": """
import torch
from torch import nn, optim
torch.manual_seed(1)
model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=0.001)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
loss_fn = nn.BCELoss()
for epoch in range(30):
    opt.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    opt.step()
print(round(loss.item(), 5), model[0].weight, len(list(model.parameters())))
model.eval()
print(model.training, model[1])
""",
    "adam": """
import torch
import torch.optim as optim
w = torch.tensor([1.0, -2.0], requires_grad=True)
opt = optim.Adam([w], lr=0.1)
for i in range(10):
    opt.zero_grad()
    loss = (w ** 2).sum()
    loss.backward()
    opt.step()
print(w, opt.param_groups[0]["lr"])
""",
    "functional_losses": """
import torch
import torch.nn.functional as F
logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
target = torch.tensor([0, 2])
ce = F.cross_entropy(logits, target)
nll = F.nll_loss(F.log_softmax(logits, dim=1), target)
p = torch.sigmoid(logits)
bce = F.binary_cross_entropy(p, torch.ones(2, 3)) + F.binary_cross_entropy_with_logits(logits, torch.zeros(2, 3))
mse = F.mse_loss(F.softmax(logits, dim=-1), F.one_hot(target, 3).float())
total = ce + nll + bce + mse + F.gelu(logits).sum() + F.leaky_relu(logits, 0.1).sum()
total.backward()
print(ce, nll, bce, mse, logits.grad)
""",
    "functional_linear": """
import torch
import torch.nn.functional as F
x = torch.tensor([[1.0, 2.0]])
W = torch.tensor([[0.5, -0.5], [1.0, 1.0], [0.0, 2.0]], requires_grad=True)
b = torch.zeros(3, requires_grad=True)
y = F.relu(F.linear(x, W, b))
y.sum().backward()
print(y, W.grad, b.grad)
""",
    "nn_losses_modules": """
import torch
import torch.nn as nn
a = torch.tensor([0.2, 0.8], requires_grad=True)
b = torch.tensor([0.0, 1.0])
total = nn.MSELoss()(a, b) + nn.L1Loss()(a, b) + nn.BCEWithLogitsLoss()(a, b)
total = total + nn.CrossEntropyLoss()(a.unsqueeze(0), torch.tensor([1]))
total = total + nn.Softmax(dim=0)(a).sum() + nn.LeakyReLU(0.2)(a).sum() + nn.GELU()(a).sum()
total = total + nn.Identity()(a).sum() + nn.Flatten()(a.view(1, 2, 1)).sum() + nn.ReLU()(a).sum()
total.backward()
print(total, a.grad)
""",
    "parameter": """
import torch
import torch.nn as nn
p = nn.Parameter(torch.tensor([1.0, 2.0]))
loss = (p * p).sum()
loss.backward()
print(p, p.grad, isinstance(p, torch.Tensor), p.requires_grad)
""",
    "where_max_min": """
import torch
x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
y = torch.where(x > 0, x * 2, x * -3) + torch.maximum(x, torch.zeros(3)) + torch.minimum(x, torch.ones(3))
y.sum().backward()
print(y, x.grad)
""",
    "chain_rule_scalar": """
import torch
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(-3.0, requires_grad=True)
c = a * b
d = c + a ** 2
e = torch.tanh(d / 10)
e.backward()
print(a.grad, b.grad, e)
""",
    "grad_accumulates": """
import torch
x = torch.tensor(1.0, requires_grad=True)
for i in range(3):
    (x * (i + 1)).backward()
    print(x.grad)
""",
    "autograd_backward": """
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x ** 2).sum()
torch.autograd.backward(y)
print(x.grad)
""",
    "loop_over_tensor_and_params": """
import torch
import torch.nn as nn
torch.manual_seed(3)
m = nn.Linear(2, 2)
total = 0
for p in m.parameters():
    total += p.numel()
rows = [r.sum().item() for r in torch.arange(6.0).reshape(3, 2)]
for i, (a, b) in enumerate(zip([1, 2], "xy")):
    print(i, a, b)
print(total, rows)
""",
    "dtype_kwargs": """
import torch
a = torch.tensor([1, 2, 3], dtype=torch.float32, requires_grad=True)
b = torch.ones(3, dtype=torch.float64)
c = torch.zeros(2, dtype=torch.long)
d = torch.arange(3, dtype=torch.int32)
print(a.dtype, b.dtype, c.dtype, d.dtype, (a.double() * b).dtype, torch.float == torch.float32)
""",
    "softmax_family": """
import torch
z = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
s = torch.softmax(z, dim=1)
ls = torch.log_softmax(z, dim=-1)
(s[0, 0] + ls.sum()).backward()
print(s, ls, z.grad)
""",
    "cat_stack_grad": """
import torch
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0], requires_grad=True)
c = torch.cat([a, b * 2])
d = torch.stack([a, a * a])
(c.sum() + d.sum()).backward()
print(c, d, a.grad, b.grad)
""",
    "del_and_none": """
import torch
x = 5
y = None
del x
print(y is None, y is not None, "x" in ["x"], 3 not in [1, 2])
""",
    "math_module_free_functions": """
import torch
x = torch.tensor([0.1, 0.2], requires_grad=True)
y = torch.log1p(x) + torch.expm1(x) + torch.square(x) + torch.sinh(x) + torch.cosh(x) + torch.tan(x)
y = y + torch.pow(x, 3) + torch.clamp(x, min=0.15) + torch.abs(x - 0.15)
y.sum().backward()
print(y, x.grad)
""",
    "grad_fn_walk": """
import torch
x = torch.tensor(1.0, requires_grad=True)
y = (x * 2 + 1).exp()
fn = y.grad_fn
names = []
for i in range(6):
    names.append(fn.name())
    if not fn.next_functions:
        break
    fn = fn.next_functions[0][0]
print(names)
""",
}

# Math-style programs and the PyTorch programs they mean; stdout, values and grads must agree.
MATH_PAIRS = {
    "card_example": (
        """
x = [1.0, 2.0, 3.0]
w = param([0.1, 0.2, 0.3])
b = param(1.0)
y = w·x + b
y.backward()
print(y, w.grad, b.grad)
""",
        """
import torch
x = torch.tensor([1.0, 2.0, 3.0])
w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)
y = w @ x + b
y.backward()
print(y, w.grad, b.grad)
""",
    ),
    "neuron": (
        """
x = [0.5, -1.0]
w = param([1.0, 2.0])
b = param(0.1)
c = 2
y = sigmoid(w·x + b) * c
z = tanh(y) + relu(y - 1) + exp(-y) + log(y) + sqrt(y)
z.backward()
print(z, w.grad, b.grad)
""",
        """
import torch
x = torch.tensor([0.5, -1.0])
w = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor(0.1, requires_grad=True)
c = torch.tensor(2.0)
y = torch.sigmoid(w @ x + b) * c
z = torch.tanh(y) + torch.relu(y - 1) + torch.exp(-y) + torch.log(y) + torch.sqrt(y)
z.backward()
print(z, w.grad, b.grad)
""",
    ),
    "reductions": (
        """
v = param([1.0, -2.0, 3.0])
s = sum(v * v) + mean(v) + max(v) + min(v) + softmax(v)[0] + dot(v, v)
s.backward()
print(s, v.grad)
""",
        """
import torch
v = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
s = torch.sum(v * v) + torch.mean(v) + torch.max(v) + torch.min(v) + torch.softmax(v, dim=-1)[0] + torch.dot(v, v)
s.backward()
print(s, v.grad)
""",
    ),
    "matrix": (
        """
W = param([[1.0, 2.0], [3.0, 4.0]])
x = [1.0, -1.0]
h = W·x
out = sum(h ** 2)
out.backward()
print(h, W.grad)
""",
        """
import torch
W = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
x = torch.tensor([1.0, -1.0])
h = W @ x
out = torch.sum(h ** 2)
out.backward()
print(h, W.grad)
""",
    ),
}

# The trusted runner: plain `exec` of trusted test text, then a JSON of every named tensor.
RUNNER = r"""
import contextlib, io, json, sys
import torch

def tensors(namespace):
    out = {}
    for name, value in namespace.items():
        if isinstance(value, torch.Tensor):
            grad = value.grad if value.is_leaf else None
            out[name] = {"value": value.tolist(), "grad": None if grad is None else grad.tolist()}
    return out

results = {}
for key, source in json.load(sys.stdin).items():
    torch.manual_seed(0)
    torch.set_grad_enabled(True)
    namespace, buffer = {}, io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, key, "exec"), namespace)
    results[key] = {"stdout": buffer.getvalue(), "tensors": tensors(namespace)}
print(json.dumps(results))
"""


def run_in_cpython(programs: dict[str, str]) -> dict[str, dict]:
    """Run trusted programs in a plain CPython + torch subprocess (one process for all)."""
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(programs),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout)


# ----- the lesson ---------------------------------------------------------------------


def lesson_cells() -> list[tuple[str, str]]:
    """(code, printed output) of each `In [n]:` cell, as the lesson shows them."""
    cells = []
    for chunk in re.split(r"^In \[\d+\]:\n", LESSON, flags=re.M)[1:]:
        code, _, rest = chunk.partition("\n\n\n")
        output = rest.lstrip("\n").split("\n\n\n")[0]
        cells.append((code + "\n", output))
    return cells


CELLS = lesson_cells()
PRINTING_CELLS = {0, 2, 3, 4}  # cell [5] only repeats `y = ...`; its "output" is prose


def expected_lesson_stdout(upto: int) -> str:
    return "".join(CELLS[i][1] + "\n" for i in range(upto + 1) if i in PRINTING_CELLS)


@pytest.mark.parametrize("upto", range(len(CELLS)))
def test_lesson_cells_print_what_the_lesson_shows(upto):
    """Running the lesson's cells up to this one prints exactly the lesson's outputs."""
    run = execute("".join(code for code, _ in CELLS[: upto + 1]))
    assert run.error is None
    assert run.stdout == expected_lesson_stdout(upto)


def test_lesson_has_five_cells():
    """The lesson parser finds every code cell (so the tests above cover them all)."""
    assert len(CELLS) == 5
    assert CELLS[2][0].startswith("# Define a function\ny = x**2 + 3*x\n")


def test_lesson_as_one_program_gives_the_lessons_gradients():
    """The whole lesson as one program: same output, and the gradients it states."""
    run = execute("\n".join(code for code, _ in CELLS))
    assert run.error is None
    assert run.stdout == expected_lesson_stdout(len(CELLS) - 1)
    assert run.namespace["w"].grad.tolist() == [1.0, 2.0, 3.0]
    assert run.namespace["b"].grad.item() == 1.0
    assert run.namespace["z_detached"].tolist() == [2.0, 3.0]
    assert run.backward_called and run.last_tensor_name == "y"


def test_lesson_gradient_cell_gives_seven_and_nine():
    """Cell [6]: dy/dx = 2x + 3 = [7, 9] on x = [2, 3]."""
    run = execute(CELLS[0][0] + CELLS[2][0])
    assert run.namespace["x"].grad.tolist() == [7.0, 9.0]


# ----- against CPython ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cpython() -> dict[str, dict]:
    programs = dict(PROGRAMS)
    programs.update({f"math:{key}": pair[1] for key, pair in MATH_PAIRS.items()})
    return run_in_cpython(programs)


def assert_same_tensors(namespace, expected: dict) -> None:
    assert expected, "the CPython run named no tensors"
    for name, want in expected.items():
        mine = namespace[name]
        assert isinstance(mine, torch.Tensor), name
        assert mine.tolist() == want["value"], name
        grad = mine.grad if mine.is_leaf else None
        assert (None if grad is None else grad.tolist()) == want["grad"], name


def test_there_are_at_least_forty_compared_programs():
    """The comparison covers at least 40 programs."""
    assert len(PROGRAMS) + len(MATH_PAIRS) >= 40


@pytest.mark.parametrize("key", sorted(PROGRAMS))
def test_program_matches_cpython(key, cpython):
    """Same stdout, values and grads as the program run by CPython with torch."""
    run = execute(PROGRAMS[key])
    assert run.error is None, run.error
    assert run.stdout == cpython[key]["stdout"]
    tensors = cpython[key]["tensors"]
    if tensors:
        assert_same_tensors(run.namespace, tensors)


@pytest.mark.parametrize("key", sorted(MATH_PAIRS))
def test_math_style_matches_its_pytorch_program(key, cpython):
    """A math-style program equals the PyTorch program it stands for."""
    run = execute(MATH_PAIRS[key][0])
    assert run.error is None, run.error
    assert run.math_style
    assert run.stdout == cpython[f"math:{key}"]["stdout"]
    assert_same_tensors(run.namespace, cpython[f"math:{key}"]["tensors"])


# ----- the interface --------------------------------------------------------------------


def test_backward_goes_through_the_given_function_with_its_label():
    """t.backward(...) calls the given backward with the receiver's source text."""
    calls = []

    def backward(tensor, gradient=None, retain_graph=None, create_graph=False, *, label):
        calls.append((label, gradient, retain_graph, create_graph))
        tensor.backward(gradient, retain_graph, create_graph)

    src = "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.sum().backward(retain_graph=True)\n"
    run = execute(src, backward=backward)
    assert calls == [("y.sum()", None, True, False)]
    assert run.namespace["x"].grad.tolist() == [3.0, 3.0]
    assert run.backward_called


def test_autograd_backward_goes_through_the_given_function():
    """torch.autograd.backward(loss) is labelled with its argument's text."""
    labels = []

    def backward(tensor, gradient=None, retain_graph=None, create_graph=False, *, label):
        labels.append(label)
        tensor.backward(gradient, retain_graph, create_graph)

    src = "import torch\nw = torch.ones(1, requires_grad=True)\nloss = (w * 2).sum()\ntorch.autograd.backward(loss)\n"
    run = execute(src, backward=backward)
    assert labels == ["loss"] and run.namespace["w"].grad.tolist() == [2.0]


def test_backward_error_from_the_given_function_gets_the_users_line():
    """A torch error raised by the hook is reported on the user's line, with the hint."""

    def backward(tensor, gradient=None, retain_graph=None, create_graph=False, *, label):
        tensor.backward(gradient, retain_graph, create_graph)

    run = execute("y = param([1.0, 2.0]) * 2\n\ny.backward()\n", backward=backward)
    assert (run.error.type, run.error.line, run.error.column) == ("RuntimeError", 3, 1)
    assert run.error.message.endswith("(y is a vector: call y.sum().backward(), as in the lesson)")


def test_no_backward_call_leaves_backward_called_false():
    """A program that never calls backward says so, and names its last tensor."""
    run = execute("w = param([1.0, 2.0])\ny = w * 2\nn = 3.5\n")
    assert not run.backward_called
    assert run.last_tensor_name == "n"  # math style: a number literal is a tensor too


def test_last_tensor_name_skips_names_no_longer_holding_tensors():
    """The last assigned name that still holds a tensor."""
    run = execute("import torch\na = torch.ones(1)\nb = torch.ones(1)\nb = 3\n")
    assert run.last_tensor_name == "a"


def test_undeclared_names_in_order_of_first_use():
    """Names read but never assigned nor builtin, in source order."""
    run = execute("y = w * x + b\nz = exp(w) + q\n")
    assert run.undeclared == ("w", "x", "b", "q")
    assert (run.error.type, run.error.message) == ("NameError", "name 'w' is not defined")
    assert (run.error.line, run.error.column) == (1, 5)


def test_inputs_fill_undeclared_names_as_tensors_in_math_style():
    """Values from the variables table feed undeclared names (numbers become tensors)."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    run = execute("y = (w * x).sum()\ny.backward()\n", inputs={"w": w, "x": [3.0, 4.0]})
    assert run.error is None
    assert w.grad.tolist() == [3.0, 4.0]
    assert isinstance(run.namespace["x"], torch.Tensor)


def test_inputs_stay_python_values_in_pytorch_style():
    """In a program that imports torch, an input number stays a number."""
    run = execute("import torch\nprint(n * 2)\n", inputs={"n": 3})
    assert run.stdout == "6\n"


def test_math_style_flag():
    """math_style is True exactly when the program does not import torch."""
    assert execute("x = 1\n").math_style
    assert not execute("import torch.nn as nn\n").math_style
    assert not execute("from torch import nn\n").math_style


def test_python_values_stay_python_values_in_pytorch_style():
    """With `import torch`, `c = 2` stays an int."""
    run = execute("import torch\nc = 2\nxs = [1.0]\n")
    assert run.namespace["c"] == 2 and run.namespace["xs"] == [1.0]


def test_math_literals_become_float32_constants():
    """Without `import torch`, number and list literals become float32 constant tensors."""
    run = execute("x = [1, 2]\nc = -2\n")
    assert run.namespace["x"].dtype == torch.float32
    assert run.namespace["c"].tolist() == -2.0 and not run.namespace["c"].requires_grad


def test_param_makes_float32_leaves():
    """param() accepts a number, a list or a tensor, and returns a float32 leaf."""
    run = execute("a = param(1)\nb = param([1, 2])\nc = param(b * 2)\n")
    for name in "abc":
        tensor = run.namespace[name]
        assert tensor.is_leaf and tensor.requires_grad and tensor.dtype == torch.float32


def test_middle_dot_inside_strings_is_left_alone():
    """`·` is an operator in code, but stays a character in strings and comments."""
    run = execute('w = param([1.0])\nx = [2.0]\nprint("w·x =", w·x)  # w·x\n')
    assert run.stdout.startswith("w·x = tensor(2.")


def test_columns_count_characters_after_a_middle_dot():
    """Error columns are characters, not UTF-8 bytes, on a line with `·`."""
    run = execute("w = param([1.0])\ny = w·w + nope\n")
    assert (run.error.line, run.error.column) == (2, 11)


def test_stdout_is_kept_up_to_the_error():
    """What was printed before an error is part of the result."""
    run = execute("print('before')\nx = 1 / 0\nprint('after')\n")
    assert run.stdout == "before\n"
    assert (run.error.type, run.error.message, run.error.line) == (
        "ZeroDivisionError",
        "division by zero",
        2,
    )


def test_grad_mode_is_restored_after_an_error_inside_no_grad():
    """An error inside `with torch.no_grad():` does not leave grad mode off."""
    run = execute("import torch\nwith torch.no_grad():\n    x = 1 / 0\n")
    assert run.error.type == "ZeroDivisionError"
    assert torch.is_grad_enabled()


def test_unseeded_programs_draw_the_same_numbers_every_run():
    """Without manual_seed, randn is seeded with 0: two runs agree."""
    first = execute("import torch\nr = torch.randn(3)\n").namespace["r"]
    second = execute("import torch\nr = torch.randn(3)\n").namespace["r"]
    assert torch.equal(first, second)


def test_the_callers_random_state_is_restored():
    """A run does not change the caller's torch random generator."""
    state = torch.get_rng_state()
    execute("import torch\ntorch.manual_seed(5)\nr = torch.randn(3)\n")
    assert torch.equal(state, torch.get_rng_state())


def test_warnings_are_collected_not_printed():
    """torch warnings (e.g. .grad of a non-leaf) are returned, not written to stderr."""
    run = execute("import torch\nx = torch.ones(1, requires_grad=True)\ny = x * 2\nprint(y.grad)\n")
    assert run.stdout == "None\n"
    assert any("not a leaf" in w for w in run.warnings)


def test_namespace_is_read_only():
    """The namespace handed back cannot be changed by the caller."""
    run = execute("a = 1\n")
    with pytest.raises(TypeError):
        run.namespace["a"] = 2  # type: ignore[index]


def test_str_format_fields_use_the_allow_list():
    """str.format cannot reach attributes outside the allow-list."""
    run = execute('import torch\nx = torch.ones(1)\nprint("{0.shape} {0.dtype}".format(x))\n')
    assert run.stdout == "torch.Size([1]) torch.float32\n"
    run = execute('import torch\nx = torch.ones(1)\nprint("{0.numpy}".format(x))\n')
    assert run.error.type == "NotAllowed" and "'numpy'" in run.error.message


def test_size_checks_do_not_load_sympy():
    """Sizing a matmul and a broadcast is shape arithmetic: torch's symbolic shapes stay unloaded."""
    code = (
        "import sys, engine\n"
        "engine.run('x = [1.0, 2.0]\\nw = param([0.5, 0.5])\\ny = w·x + x * w\\n')\n"
        "print('sympy' in sys.modules, 'torch.fx.experimental.symbolic_shapes' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_matmul_size_from_shapes_matches_torch():
    """matmul_numel's shape arithmetic gives torch.matmul's result size, or None for a mismatch."""
    from engine.interpreter_guards import matmul_numel

    cases = [
        ((3,), (3,)),
        ((2, 3), (3, 4)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((5, 1, 2, 3), (7, 3, 4)),
    ]
    for a, b in cases:
        ta, tb = torch.empty(a), torch.empty(b)
        assert matmul_numel(ta, tb) == torch.matmul(ta, tb).numel()
    assert matmul_numel(torch.empty(2, 3), torch.empty(4, 5)) is None
