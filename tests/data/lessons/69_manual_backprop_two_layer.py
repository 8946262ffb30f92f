# Teaches backprop by hand through a two-layer network (matmul, ReLU, MSE) and checking every grad against autograd; imitates CS231n-style assignment notebooks.
# ruff: noqa
# fmt: off
import torch

torch.manual_seed(13)
X = torch.randn(6, 3)
Y = torch.randn(6, 2)
W1 = torch.randn(3, 4, requires_grad=True)
b1 = torch.zeros(4, requires_grad=True)
W2 = torch.randn(4, 2, requires_grad=True)
b2 = torch.zeros(2, requires_grad=True)


def forward(X):
    h_pre = X @ W1 + b1
    h = h_pre.clamp(min=0)
    out = h @ W2 + b2
    return h_pre, h, out


h_pre, h, out = forward(X)
loss = ((out - Y) ** 2).mean()
loss.backward()

with torch.no_grad():
    d_out = 2 * (out - Y) / out.numel()
    dW2 = h.T @ d_out
    db2 = d_out.sum(0)
    d_h = d_out @ W2.T
    d_hpre = d_h * (h_pre > 0)
    dW1 = X.T @ d_hpre
    db1 = d_hpre.sum(0)

checks = {"W1": (dW1, W1.grad), "b1": (db1, b1.grad), "W2": (dW2, W2.grad), "b2": (db2, b2.grad)}
for name, (mine, theirs) in checks.items():
    print(f"{name}: max diff {(mine - theirs).abs().max().item():.1e}  close={torch.allclose(mine, theirs, atol=1e-6)}")
print(f"loss = {loss.item():.6f}")
