# Teaches which tensors are leaves (user-created vs results of ops, .cuda()/.to() copies, detach) and where grads land; imitates the torch.Tensor.is_leaf docs.
# ruff: noqa
# fmt: off
import torch

torch.manual_seed(0)
a = torch.rand(10, requires_grad=True)
print("a:", a.is_leaf)
b = torch.rand(10, requires_grad=True).double()
print("b (result of .double()):", b.is_leaf)
c = torch.rand(10, requires_grad=True) + 2
print("c (result of + 2):", c.is_leaf)
d = torch.rand(10).to(torch.float64)
print("d (no grad needed):", d.is_leaf, d.requires_grad)
e = torch.rand(10).requires_grad_()
print("e:", e.is_leaf)
f = b.detach()
print("f = b.detach():", f.is_leaf, f.requires_grad)

(a * 2).sum().backward()
print("a.grad:", a.grad[:3])
b.sum().backward()
print("b.grad kept?", b.retains_grad)
