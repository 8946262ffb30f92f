# Teaches nn.MSELoss, nn.L1Loss and nn.CrossEntropyLoss with variables named input/target; imitates the torch.nn loss-function docs examples.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(0)

loss = nn.MSELoss()
input = torch.randn(3, 5, requires_grad=True)
target = torch.randn(3, 5)
output = loss(input, target)
output.backward()
print("MSE:", output)
print("grad row 0:", input.grad[0])

l1 = nn.L1Loss()
input2 = torch.randn(3, 5, requires_grad=True)
out2 = l1(input2, target)
out2.backward()
print("L1:", round(out2.item(), 6), "grad signs:", input2.grad.sign()[0].tolist())

# Example of target with class indices
ce = nn.CrossEntropyLoss()
logits = torch.randn(3, 5, requires_grad=True)
classes = torch.empty(3, dtype=torch.long).random_(5)
out3 = ce(logits, classes)
out3.backward()
print("classes:", classes.tolist())
print("CE:", out3)
print("CE grad rows sum to 0:", torch.allclose(logits.grad.sum(dim=1), torch.zeros(3), atol=1e-7))

# Example of target with class probabilities
probs = torch.randn(3, 5).softmax(dim=1)
logits.grad = None
out4 = ce(logits, probs)
out4.backward()
print("CE with probabilities:", f"{out4.item():.6f}")
