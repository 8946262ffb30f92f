# Teaches Newton's method using autograd for f' and f'' (create_graph=True) inside a while loop; imitates numerical-methods course notebooks.
# ruff: noqa
# fmt: off
import torch


def f(x):
    return x ** 4 - 3 * x ** 3 + 2


x = torch.tensor(4.0, requires_grad=True)
it = 0
while True:
    y = f(x)
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (h,) = torch.autograd.grad(g, x)
    step = g / h
    with torch.no_grad():
        x -= step
    it += 1
    print(f"iter {it}: x = {x.item():.8f}, f'(x) = {g.item():.3e}")
    if abs(step.item()) < 1e-6 or it >= 50:
        break

print(f"minimum near x = {x.item():.6f} (exact 9/4 = {9 / 4})")
