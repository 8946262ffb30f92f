# Teaches vector-valued backward with an explicit gradient= argument; imitates the "Gentle Introduction to torch.autograd" Q = 3a^3 - b^2 example.
# ruff: noqa
# fmt: off
import torch

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)

# Q is a vector, so backward needs a vector of the same shape: dQ/dQ = 1 everywhere
Q = 3 * a**3 - b**2
print("Q =", Q)

external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)

# the analytic gradients, written out by hand
print("dQ/da == 9a^2 :", 9 * a**2 == a.grad)
print("dQ/db == -2b  :", -2 * b == b.grad)
print("a.grad =", a.grad)
print("b.grad =", b.grad)
print("Q.grad_fn:", Q.grad_fn.name())
