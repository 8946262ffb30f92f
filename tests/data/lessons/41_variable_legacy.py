# Teaches the legacy torch.autograd.Variable wrapper (now just a Tensor) and .data; imitates pre-0.4 PyTorch tutorials still found in course notes.
# ruff: noqa
# fmt: off
import torch
from torch.autograd import Variable

x = Variable(torch.ones(2, 2), requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn.name())  # printing the object itself shows a memory address
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)
print("a Variable is a Tensor:", isinstance(x, torch.Tensor), type(x).__name__)
print("x.data:", x.data)
