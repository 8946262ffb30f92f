# Teaches gradient descent on a quadratic with a while loop until the gradient is tiny; imitates an optimisation-course notebook.
# ruff: noqa
# fmt: off
import torch


def f(x):
    # a convex bowl with its minimum at (3, -1)
    return (x[0] - 3) ** 2 + 10 * (x[1] + 1) ** 2


x = torch.tensor([0.0, 0.0], requires_grad=True)
lr = 0.01
step = 0
grad_norm = float("inf")
while grad_norm > 1e-4 and step < 5000:
    loss = f(x)
    loss.backward()
    grad_norm = x.grad.norm().item()
    with torch.no_grad():
        x -= lr * x.grad
    x.grad.zero_()
    step += 1
    if step % 100 == 0:
        print(f"step {step:4d}: f={loss.item():.6f} |grad|={grad_norm:.2e}")

print(f"converged after {step} steps at x = [{x[0].item():.5f}, {x[1].item():.5f}]")
final = f(x)
