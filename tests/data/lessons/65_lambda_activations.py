# Teaches comparing activation functions and their grads through a dict of lambdas; imitates activation-function comparison notebooks.
# ruff: noqa
# fmt: off
import torch

activations = {
    "relu": lambda t: torch.relu(t),
    "leaky": lambda t: torch.nn.functional.leaky_relu(t, 0.1),
    "sigmoid": torch.sigmoid,
    "softplus": lambda t: torch.log1p(torch.exp(t)),
    "gelu": lambda t: torch.nn.functional.gelu(t),
}
points = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
table = {}
for name, fn in activations.items():
    x = points.clone().requires_grad_()
    fn(x).sum().backward()
    table[name] = x.grad
    print(f"{name:>8}: " + " ".join(f"{g:7.4f}" for g in x.grad.tolist()))

best = max(table, key=lambda k: table[k][0].item())
print("largest gradient at x=-2:", best)
print("sorted by grad at 0.5:", sorted(table, key=lambda k: (table[k][3].item(), k)))
