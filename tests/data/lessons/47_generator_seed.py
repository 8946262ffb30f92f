# Teaches reproducible randomness with torch.Generator().manual_seed and torch.manual_seed; imitates the reproducibility docs.
# ruff: noqa
# fmt: off
import torch

g = torch.Generator().manual_seed(42)
a = torch.randn(3, generator=g)
g2 = torch.Generator().manual_seed(42)
b = torch.randn(3, generator=g2)
print("same seed, same numbers:", torch.equal(a, b), a)

torch.manual_seed(0)
c = torch.rand(2)
torch.manual_seed(0)
d = torch.rand(2)
print("global seed repeats:", torch.equal(c, d), c)

state = g.get_state()
e = torch.randint(0, 10, (5,), generator=g)
g.set_state(state)
f = torch.randint(0, 10, (5,), generator=g)
print("restored generator state:", e.tolist(), f.tolist())

w = torch.empty(2, 3).uniform_(-1, 1, generator=torch.Generator().manual_seed(7)).requires_grad_()
(w ** 2).sum().backward()
print("w.grad == 2w:", torch.equal(w.grad, 2 * w.detach()))
perm = torch.randperm(6, generator=torch.Generator().manual_seed(1))
print("permutation:", perm.tolist())
