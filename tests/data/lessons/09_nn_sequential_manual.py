# Teaches nn.Sequential, nn.MSELoss and a manual parameter update; imitates "Learning PyTorch with Examples" (PyTorch: nn).
# ruff: noqa
# fmt: off
import math

import torch

x = torch.linspace(-math.pi, math.pi, 500)
y = torch.sin(x)

# features (x, x^2, x^3) so a Linear layer is a cubic polynomial
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

torch.manual_seed(3)
model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1),
)
loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 2e-6
for t in range(1500):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 150 == 149:
        print(t, round(loss.item(), 5))
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
print(f"Result: y = {linear_layer.bias.item():.5f} + {linear_layer.weight[:, 0].item():.5f} x"
      f" + {linear_layer.weight[:, 1].item():.5f} x^2 + {linear_layer.weight[:, 2].item():.5f} x^3")
