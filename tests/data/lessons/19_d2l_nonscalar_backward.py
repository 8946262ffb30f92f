# Teaches backward of a non-scalar through gradient= and through .sum(); imitates Dive into Deep Learning "Backward for Non-Scalar Variables".
# ruff: noqa
# fmt: off
import torch

x = torch.arange(4.0, requires_grad=True)
y = x * x
# pass dy/dy as a vector of ones: the same as y.sum().backward()
y.backward(gradient=torch.ones(len(y)))
print(x.grad)

x.grad.zero_()
y = x * x
y.sum().backward()
print(x.grad)

x.grad.zero_()
y = x * x
v = torch.tensor([1.0, 0.1, 0.01, 0.001])
y.backward(gradient=v)   # vector-Jacobian product v^T J
print("v^T J =", x.grad)
