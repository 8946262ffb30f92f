# Teaches detaching computation: z = u * x with u = y.detach() treated as a constant; imitates Dive into Deep Learning "Detaching Computation".
# ruff: noqa
# fmt: off
import torch

x = torch.arange(4.0, requires_grad=True)
y = x * x
u = y.detach()
z = u * x

z.sum().backward()
print(x.grad == u)
print("x.grad:", x.grad)

x.grad.zero_()
y.sum().backward()
print(x.grad == 2 * x)
print("u.requires_grad:", u.requires_grad, "| y.requires_grad:", y.requires_grad)
