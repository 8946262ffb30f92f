# Teaches retain_grad() on intermediate (non-leaf) tensors; imitates "Autograd mechanics" and course notebooks on leaves.
# ruff: noqa
# fmt: off
import torch

x = torch.tensor([1.0, -2.0], requires_grad=True)
h = x * 3
h.retain_grad()
r = torch.relu(h)
r.retain_grad()
out = (r ** 2).sum()
out.backward()

print("is_leaf:", x.is_leaf, h.is_leaf, r.is_leaf, out.is_leaf)
print("out.grad_fn:", out.grad_fn.name())
print("r.grad:", r.grad)
print("h.grad:", h.grad)
print("x.grad:", x.grad)
print("h.retains_grad:", h.retains_grad, "| out.retains_grad:", out.retains_grad)
