# Teaches requires_grad_(), detach(), detach_() and clone() semantics for graph membership; imitates course notes on building graphs.
# ruff: noqa
# fmt: off
import torch

x = torch.ones(3)
print("start:", x.requires_grad)
x.requires_grad_()
print("after requires_grad_():", x.requires_grad)

y = x * 4
y_det = y.detach()
print("detach shares storage:", y_det.data_ptr() == y.data_ptr(), "| requires_grad:", y_det.requires_grad)
y_clone = y.clone()
print("clone keeps the graph:", y_clone.grad_fn.name())

z = (x ** 2) * 1.0
z.detach_()
print("after detach_(): grad_fn", z.grad_fn, "leaf", z.is_leaf)

frozen = torch.tensor([1.0, 2.0], requires_grad=True)
frozen.requires_grad_(False)
out = (frozen * x[:2]).sum()
out.backward()
print("x.grad:", x.grad, "| frozen.grad:", frozen.grad)
