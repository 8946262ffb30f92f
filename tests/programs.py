"""The corpus: programs that run in the explorer and, unchanged, in CPython + torch.

PROGRAMS is the corpus tests/test_run.py checks numerically as well; PYTHON_PROGRAMS use
what the old allow-list interpreter refused (def, class, lambda, while, other imports);
MATH_PAIRS are math-style programs with the PyTorch programs they stand for.
"""

# ruff: noqa: E501 - the programs are kept verbatim, long lines included

from pathlib import Path

from lesson_reference import lesson_cells

LESSON = Path(__file__).resolve().parent / "data" / "autograd-lesson.txt"  # copy of shared/seeds

# Each program runs in the explorer and, unchanged, in CPython + torch; both must agree.
PROGRAMS = {
    # The lesson's linear model, from the lesson itself (its last cell, after its import).
    "lesson_linear": "import torch\n" + lesson_cells(LESSON)[-1] + "\n",
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


# Programs the allow-list interpreter refused (def, class, lambda, while, imports, ...):
# they now run as real Python, and must agree with CPython + torch just the same.
PYTHON_PROGRAMS = {
    "def_and_lambda": """
import torch

def f(x, power=2):
    return (x ** power).sum()

square = lambda t: t * t
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
loss = f(square(x), power=3)
loss.backward()
print(loss, x.grad)
""",
    "while_loop": """
import torch
x = torch.tensor(10.0, requires_grad=True)
y = x
steps = 0
while y > 1:
    y = y / 2
    steps += 1
y.backward()
print(steps, y, x.grad)
""",
    "nn_module_subclass": """
import torch
import torch.nn as nn
import torch.nn.functional as F

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.fc2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))

torch.manual_seed(0)
model = MLP()
x = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
loss = model(x).pow(2).mean()
loss.backward()
print(model, loss, model.fc1.weight.grad, model.fc2.bias.grad)
""",
    "plain_class_neuron": """
import torch

class Neuron:
    def __init__(self, n):
        self.w = torch.ones(n, requires_grad=True)
        self.b = torch.tensor(0.5, requires_grad=True)

    def __call__(self, x):
        return torch.tanh(self.w @ x + self.b)

neuron = Neuron(3)
x = torch.tensor([0.1, -0.2, 0.3])
out = neuron(x)
out.backward()
print(out, neuron.w.grad, neuron.b.grad)
""",
    "training_loop_function": """
import torch

def train(w, steps, lr=0.1):
    for step in range(steps):
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
    return loss

w = torch.tensor([0.0, 1.0], requires_grad=True)
final = train(w, 5)
print(final, w)
""",
    "standard_library_imports": """
import math
import random
import itertools
from collections import OrderedDict
import torch
random.seed(4)
pairs = list(itertools.product([1, 2], "ab"))
d = OrderedDict(a=math.pi, b=math.sqrt(2))
t = torch.tensor([math.e, random.random()])
print(pairs, d, t, math.floor(2.7), random.randint(0, 100))
""",
    "try_except_finally": """
import torch
try:
    torch.ones(2) @ torch.ones(3)
except RuntimeError as error:
    print("caught:", type(error).__name__)
finally:
    print("finally")
try:
    {}["missing"]
except KeyError as e:
    print(repr(e))
""",
    "generators_and_closures": """
import torch

def make_scaler(k):
    def scale(t):
        return t * k
    return scale

def chunks(xs, n):
    for i in range(0, len(xs), n):
        yield xs[i:i + n]

triple = make_scaler(3.0)
x = torch.arange(4.0, requires_grad=True)
parts = [triple(c).sum() for c in chunks(x, 2)]
total = sum(parts)
total.backward()
print(parts, total, x.grad)
""",
    "no_grad_decorator": """
import torch

@torch.no_grad()
def evaluate(w, x):
    return w * x

w = torch.tensor([1.0, 2.0], requires_grad=True)
out = evaluate(w, torch.tensor([3.0, 4.0]))
print(out, out.requires_grad, torch.is_grad_enabled())
""",
    "autograd_function": """
import torch

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad_output

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = Cube.apply(x).sum()
y.backward()
print(y, x.grad, y.grad_fn.name(), y.grad_fn.next_functions[0][0].name())
""",
    "device_cpu": """
import torch
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
x = torch.ones(2, requires_grad=True).to(device)
w = torch.tensor([2.0, 3.0]).to("cpu")
y = (x * w).sum()
y.backward()
print(torch.cuda.is_available(), device, x.device, y)
""",
    "dataclass_and_fstrings": """
from dataclasses import dataclass
import torch

@dataclass
class Point:
    x: float
    y: float

    def norm(self):
        return torch.tensor([self.x, self.y]).norm()

p = Point(3.0, 4.0)
print(p, p.norm(), f"{p.x:>6.2f}|{p.y!r}")
""",
    "unseeded_random": """
import torch
from torch import nn
layer = nn.Linear(3, 2)
x = torch.randn(4, 3)
loss = layer(x).sum()
loss.backward()
print(x, layer.weight.grad, torch.rand(2))
""",
}
