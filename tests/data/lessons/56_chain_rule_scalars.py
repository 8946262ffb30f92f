# Teaches the chain rule on a small scalar expression graph, comparing autograd with hand-derived partials; imitates CS231n-style backprop lecture notes.
# ruff: noqa
# fmt: off
import torch

x = torch.tensor(-2.0, requires_grad=True)
y = torch.tensor(5.0, requires_grad=True)
z = torch.tensor(-4.0, requires_grad=True)

q = x + y
f = q * z
q.retain_grad()
f.backward()
print(f"q = {q.item()}, f = {f.item()}")
print(f"df/dx = {x.grad.item()}, df/dy = {y.grad.item()}, df/dz = {z.grad.item()}, df/dq = {q.grad.item()}")
print("by hand:", z.item(), z.item(), q.item())

w0, x0, w1, x1, w2 = (torch.tensor(v, requires_grad=True) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
out = 1 / (1 + torch.exp(-(w0 * x0 + w1 * x1 + w2)))
out.backward()
print(f"sigmoid neuron out = {out.item():.4f}")
print("grads:", [round(t.grad.item(), 3) for t in (w0, x0, w1, x1, w2)])
