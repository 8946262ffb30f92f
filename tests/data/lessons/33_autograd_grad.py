# Teaches torch.autograd.grad for several inputs, allow_unused and grad_outputs; imitates the torch.autograd docs examples.
# ruff: noqa
# fmt: off
import torch

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor(0.5, requires_grad=True)
unused = torch.tensor(9.0, requires_grad=True)

loss = ((a * b) ** 2).sum()
ga, gb, gu = torch.autograd.grad(loss, [a, b, unused], allow_unused=True)
print("d/da:", ga)
print("d/db:", gb)
print("d/dunused:", gu)
print("a.grad is still None:", a.grad is None)

v = torch.tensor([1.0, 0.0, -1.0])
out = a ** 2
(vjp,) = torch.autograd.grad(out, a, grad_outputs=v)
print("vector-Jacobian product:", vjp)
