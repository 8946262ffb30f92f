# Teaches that autograd follows Python control flow (while/if): f(a) is piecewise linear so grad == f(a)/a; imitates Dive into Deep Learning "Gradients and Python Control Flow".
# ruff: noqa
# fmt: off
import torch


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


torch.manual_seed(5)
a = torch.randn(size=(), requires_grad=True)
d = f(a)
d.backward()
print(f"a = {a.item():.6f}")
print(f"d = {d.item():.4f}")
print("a.grad == d / a:", (a.grad == d / a).item())

for start in [0.5, -0.5, 3.0]:
    t = torch.tensor(start, requires_grad=True)
    f(t).backward()
    print(f"start {start:+.1f}: grad {t.grad.item():g}")
