# Teaches device-agnostic code (cuda if available else cpu, .to(device)) in a small training loop; imitates the boilerplate of most PyTorch tutorials.
# ruff: noqa
# fmt: off
import torch
from torch import nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"Using {device} device")

torch.manual_seed(8)
X = torch.linspace(-1, 1, 64).unsqueeze(1).to(device)
Y = (3 * X ** 2 - X + 0.5).to(device)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.stack = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, x):
        return self.stack(x)


model = NeuralNetwork().to(device)
loss_fn = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)

for epoch in range(400):
    pred = model(X)
    loss = loss_fn(pred, Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 80 == 79:
        print(f"epoch {epoch + 1:3d}  loss: {loss.item():>8.5f}")

print("parameters on:", {p.device.type for p in model.parameters()})
print("prediction at 0.5:", round(model(torch.tensor([[0.5]], device=device)).item(), 4))
