# Teaches the "backward through the graph a second time" error and retain_graph=True; imitates forum Q&A and course notebooks.
# ruff: noqa
# fmt: off
import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x.exp() * x).sum()
y.backward()
print("first backward:", x.grad)
try:
    y.backward()
except RuntimeError as e:
    print("second backward failed:", str(e).splitlines()[0][:90])

x.grad = None
y = (x.exp() * x).sum()
y.backward(retain_graph=True)
g1 = x.grad.clone()
y.backward()                   # fine: the graph was kept
print("grad after two passes == 2 * one pass:", torch.allclose(x.grad, 2 * g1))
print("x.grad =", x.grad)
