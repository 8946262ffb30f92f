# Teaches torch.optim (RMSprop) replacing the hand-written update; imitates "Learning PyTorch with Examples" (PyTorch: optim).
# ruff: noqa
# fmt: off
import math

import torch

x = torch.linspace(-math.pi, math.pi, 500)
y = torch.sin(x)
xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))

torch.manual_seed(4)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 1e-3
optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
for t in range(1000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, f"{loss.item():.4f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

linear_layer = model[0]
w = linear_layer.weight.detach().squeeze().tolist()
print("Result: y = {:.4f} + {:.4f} x + {:.4f} x^2 + {:.4f} x^3".format(linear_layer.bias.item(), *w))
