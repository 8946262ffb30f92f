# Teaches which results autograd tracks (no backward at all); imitates the "Exclusion from the DAG" part of the autograd intro tutorial.
# ruff: noqa
# fmt: off
import torch

torch.manual_seed(1)
x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")
print("b is a leaf:", b.is_leaf, "| z is a leaf:", z.is_leaf)
print("a.grad_fn:", a.grad_fn)
print("b.grad_fn:", type(b.grad_fn).__name__)
print("sum of b:", round(b.sum().item(), 4))
