# Teaches "grad can be implicitly created only for scalar outputs" and three ways out; imitates course notebooks and forum answers.
# ruff: noqa
# fmt: off
import torch

x = torch.linspace(0, 1, 4, requires_grad=True)
y = 3 * x ** 2
try:
    y.backward()
except RuntimeError as exc:
    print(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

y.sum().backward(retain_graph=True)
print("via sum:     ", x.grad)
x.grad.zero_()
y.backward(torch.ones_like(y), retain_graph=True)
print("via ones:    ", x.grad)
x.grad.zero_()
y.mean().backward()
print("via mean:    ", x.grad)
