# Teaches a StepLR learning-rate schedule with Adam on a 1-D regression; imitates the torch.optim.lr_scheduler docs example loop.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(12)
x = torch.rand(50, 1) * 4 - 2
y = 1.5 * x - 0.7 + 0.1 * torch.randn(50, 1)
model = nn.Linear(1, 1)
optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.5)

for epoch in range(300):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if epoch % 50 == 49:
        print(f"epoch {epoch + 1}: lr={scheduler.get_last_lr()[0]:.4f} loss={loss.item():.6f}")

print(f"slope {model.weight.item():.4f}, intercept {model.bias.item():.4f}")
