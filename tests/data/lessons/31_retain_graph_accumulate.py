# Teaches that grads accumulate across backward calls on a retained graph; imitates the autograd tutorial's note on accumulation.
# ruff: noqa
# fmt: off
import torch

w = torch.tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)
inp = torch.tensor([3.0, 4.0])
out = (w @ inp).pow(2).sum()

for i in range(3):
    out.backward(retain_graph=True)
    print(f"after call {i + 1}: w.grad =\n{w.grad}")

w.grad.zero_()
out.backward()
print("after zero_ and one more call:", w.grad.flatten().tolist())
