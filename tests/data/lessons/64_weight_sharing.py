# Teaches weight sharing: one nn.Linear applied twice gets the sum of both uses' gradients; imitates "Autograd mechanics"/recurrent-net course notes.
# ruff: noqa
# fmt: off
import torch
from torch import nn

torch.manual_seed(4)
shared = nn.Linear(2, 2, bias=False)
h0 = torch.tensor([[1.0, -1.0]])
h1 = torch.tanh(shared(h0))
h2 = torch.tanh(shared(h1))     # the same weights used again, like an unrolled RNN
loss = h2.sum()
loss.backward()
print("shared.weight.grad:\n", shared.weight.grad)

# the same gradient, from two separate copies of the weights
w_a = shared.weight.detach().clone().requires_grad_()
w_b = shared.weight.detach().clone().requires_grad_()
g1 = torch.tanh(h0 @ w_a.T)
g2 = torch.tanh(g1 @ w_b.T)
g2.sum().backward()
print("sum of the copies' grads matches:", torch.allclose(w_a.grad + w_b.grad, shared.weight.grad))
