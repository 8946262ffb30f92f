# Teaches gradient descent with hand-derived gradients in numpy; imitates "Learning PyTorch with Examples" (warm-up: numpy).
# ruff: noqa
# fmt: off
import math

import numpy as np
import torch

np.random.seed(0)
x = np.linspace(-math.pi, math.pi, 1000)
y = np.sin(x)

# random initial weights for y = a + b x + c x^2 + d x^3
a, b, c, d = np.random.randn(4)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = np.square(y_pred - y).sum()
    if t % 200 == 199:
        print(t, f"{loss:.6f}")

    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()

    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d

print(f"Result: y = {a:.6f} + {b:.6f} x + {c:.6f} x^2 + {d:.6f} x^3")
coeffs = torch.from_numpy(np.array([a, b, c, d]))
print("as a tensor:", coeffs.dtype, coeffs.shape)
