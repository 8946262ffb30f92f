# Teaches that sigmoid'(x) = s(x)(1 - s(x)) and tanh'(x) = 1 - tanh^2, checked with autograd; imitates activation-function lecture notebooks.
# ruff: noqa
# fmt: off
import torch

x = torch.linspace(-4, 4, 9, requires_grad=True)
s = torch.sigmoid(x)
s.backward(torch.ones_like(s))
manual = (s * (1 - s)).detach()
print("autograd:", x.grad)
print("manual:  ", manual)
print("max difference:", (x.grad - manual).abs().max().item())

x.grad = None
t = torch.tanh(x)
t.sum().backward()
print("tanh ok:", torch.allclose(x.grad, 1 - t.detach() ** 2))

x.grad = None
r = torch.relu(x)
r.sum().backward()
print("relu grad:", x.grad.tolist())
