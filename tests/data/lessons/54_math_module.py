# Teaches mixing the math module with tensors (math.pi, math.sqrt, math.isclose) and checking grads against calculus; imitates calculus-refresher course notebooks.
# ruff: noqa
# fmt: off
import math

import torch

angles = torch.tensor([0.0, math.pi / 6, math.pi / 4, math.pi / 2], requires_grad=True)
s = torch.sin(angles)
s.sum().backward()
print("d/dx sin at", [f"{a:.4f}" for a in angles.tolist()], "=", angles.grad)
print("matches cos:", all(math.isclose(g, math.cos(a), abs_tol=1e-6)
                          for g, a in zip(angles.grad.tolist(), angles.tolist())))

r = torch.tensor(2.0, requires_grad=True)
area = math.pi * r ** 2
area.backward()
print(f"dA/dr at r=2: {r.grad.item():.6f} vs 2*pi*r = {2 * math.pi * 2:.6f}")

u = torch.tensor(9.0, requires_grad=True)
root = torch.sqrt(u)
root.backward()
print("d sqrt(u)/du at 9:", u.grad.item(), "=", 1 / (2 * math.sqrt(9)))
print("e via torch:", torch.exp(torch.tensor(1.0)).item(), "math.e:", math.e)
