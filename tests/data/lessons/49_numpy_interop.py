# Teaches torch.from_numpy / .numpy() memory sharing and grads flowing back to numpy; imitates the "Tensors" tutorial's bridge-with-NumPy section.
# ruff: noqa
# fmt: off
import numpy as np
import torch

np.random.seed(1)
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")

t2 = torch.ones(3)
arr = t2.numpy()
t2.add_(2)
print("numpy view after add_:", arr)

data = np.random.rand(4, 3).astype(np.float32)
w = torch.from_numpy(np.array([0.5, -1.0, 2.0], dtype=np.float32)).requires_grad_()
x = torch.from_numpy(data)
y = (x @ w).sum()
y.backward()
grad_np = w.grad.numpy()
print("grad as numpy:", np.round(grad_np, 5), grad_np.dtype)
print("equals column sums:", np.allclose(grad_np, data.sum(axis=0)))
try:
    w.numpy()
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])
print("detach().numpy():", w.detach().numpy())
