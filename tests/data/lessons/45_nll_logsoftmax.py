# Teaches nn.LogSoftmax + nn.NLLLoss and that it equals cross_entropy; imitates the NLLLoss docs example.
# ruff: noqa
# fmt: off
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
m = nn.LogSoftmax(dim=1)
loss = nn.NLLLoss()
# input is of size N x C = 3 x 5
input = torch.randn(3, 5, requires_grad=True)
# each element in target has to have 0 <= value < C
target = torch.tensor([1, 0, 4])
output = loss(m(input), target)
output.backward()
print("NLL:", output.item())
print("grad:\n", input.grad)

same = F.cross_entropy(input, target)
print("cross_entropy agrees:", torch.allclose(same, output))
weights = torch.tensor([1.0, 2.0, 1.0, 1.0, 0.5])
print("weighted:", f"{nn.NLLLoss(weight=weights)(m(input), target).item():.6f}")
