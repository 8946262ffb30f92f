# Teaches y = 2 x.x, x.grad == 4x, and resetting grads with .grad.zero_(); imitates Dive into Deep Learning "Automatic Differentiation".
# ruff: noqa
# fmt: off
import torch

x = torch.arange(4.0)
print(x)
x.requires_grad_(True)
print(x.grad)

y = 2 * torch.dot(x, x)
print(y)
y.backward()
print(x.grad)
print(x.grad == 4 * x)

# grads accumulate, so reset before computing another function
x.grad.zero_()
y = x.sum()
y.backward()
print(x.grad)
