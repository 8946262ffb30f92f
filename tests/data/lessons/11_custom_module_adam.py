# Teaches a custom nn.Module with nn.Parameter scalars trained by optim.Adam; imitates "Learning PyTorch with Examples" (custom nn Modules).
# ruff: noqa
# fmt: off
import math

import torch


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item():.4f} + {self.b.item():.4f} x + {self.c.item():.4f} x^2 + {self.d.item():.4f} x^3"


torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 400)
y = torch.sin(x)

model = Polynomial3()
criterion = torch.nn.MSELoss(reduction="mean")
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
for t in range(800):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 100 == 99:
        print(f"step {t:4d}  loss {loss.item():.6f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print("Result:", model.string())
print("state keys:", sorted(optimizer.state_dict()["state"].keys()))
