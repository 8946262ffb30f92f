# Teaches checking autograd against central finite differences with a helper function, in float64; imitates numerical-methods course notebooks.
# ruff: noqa
# fmt: off
import torch


def numerical_grad(f, x, eps=1e-6):
    """Central differences, one coordinate at a time."""
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def loss_fn(w):
    return (torch.sin(w) * w ** 2).sum() + w.prod()


w = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
loss = loss_fn(w)
loss.backward()
with torch.no_grad():
    approx = numerical_grad(loss_fn, w.detach())
print("autograd:   ", [f"{g:.8f}" for g in w.grad.tolist()])
print("numerical:  ", [f"{g:.8f}" for g in approx.tolist()])
print(f"max abs difference: {(w.grad - approx).abs().max().item():.2e}")
print("close:", torch.allclose(w.grad, approx, atol=1e-6))
