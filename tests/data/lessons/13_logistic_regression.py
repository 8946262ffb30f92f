# Teaches binary logistic regression with BCEWithLogitsLoss on a seeded toy data set; imitates a university course notebook.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(42)
n = 100
# two Gaussian blobs, labels 0 and 1
X0 = torch.randn(n, 2) + torch.tensor([-1.5, -1.0])
X1 = torch.randn(n, 2) + torch.tensor([1.5, 1.0])
X = torch.cat([X0, X1])
labels = torch.cat([torch.zeros(n), torch.ones(n)])

w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
loss_fn = nn.BCEWithLogitsLoss()
lr = 0.1

for epoch in range(500):
    logits = X @ w + b
    loss = loss_fn(logits, labels)
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 100 == 0 or epoch == 499:
        with torch.no_grad():
            acc = ((X @ w + b > 0).float() == labels).float().mean()
        print(f"epoch {epoch:3d}: loss={loss.item():.4f} accuracy={acc.item():.2%}")

print("w =", w.detach().numpy().round(4).tolist(), "b =", round(b.item(), 4))
probs = torch.sigmoid(X[:3] @ w + b)
print("first probabilities:", [f"{p:.3f}" for p in probs.tolist()])
