# Teaches the in-place modification error on a tensor saved for backward, and the out-of-place fix; imitates the "Autograd mechanics" in-place section and forum answers.
# ruff: noqa
# fmt: off
import torch

a = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
b = a.sigmoid()        # sigmoid saves its output for backward
b.mul_(2)              # ... which we now overwrite in place
try:
    b.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])
print("a.grad after the failure:", a.grad)

# the fix: make a new tensor instead of changing the saved one
b = a.sigmoid()
c = b * 2
c.sum().backward()
print("a.grad:", a.grad)

# version counters explain it
t = torch.ones(2, requires_grad=True).clone()
print("version before:", t._version)
t.add_(1)
print("version after:", t._version)

leaf = torch.zeros(2, requires_grad=True)
try:
    leaf.add_(1)
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])
