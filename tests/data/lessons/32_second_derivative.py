# Teaches second derivatives with create_graph=True and grad-of-grad; imitates the "Autograd mechanics"/higher-order gradient examples.
# ruff: noqa
# fmt: off
import torch

x = torch.tensor(2.0, requires_grad=True)
y = x ** 3 + 2 * x ** 2 - x

(dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
print("dy/dx  =", dy_dx)            # 3x^2 + 4x - 1 = 19
(d2y_dx2,) = torch.autograd.grad(dy_dx, x)
print("d2y/dx2 =", d2y_dx2)         # 6x + 4 = 16

# the same with backward: dy_dx has a grad_fn because of create_graph
z = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
s = torch.sin(z).sum()
s.backward(create_graph=True)
g = z.grad.clone()
print("first:", g)
z.grad = None
g.sum().backward()
print("second (should be -sin z):", z.grad)
print("-sin z:", -torch.sin(z).detach())
