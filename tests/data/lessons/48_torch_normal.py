# Teaches torch.normal with scalar and tensor mean/std and a fit of the mean by autograd; imitates the torch.normal docs and probability course notes.
# ruff: noqa
# fmt: off
import torch

torch.manual_seed(2024)
samples = torch.normal(mean=2.0, std=0.5, size=(500,))
print(f"sample mean {samples.mean():.4f}, sample std {samples.std():.4f}")

per_elem = torch.normal(mean=torch.arange(1., 6.), std=torch.arange(1, 0, -0.2))
print("elementwise means:", per_elem)

mu = torch.tensor(0.0, requires_grad=True)
opt = torch.optim.SGD([mu], lr=0.1)
for step in range(50):
    opt.zero_grad()
    nll = ((samples - mu) ** 2).mean() / 2
    nll.backward()
    opt.step()
print(f"fitted mean {mu.item():.5f} (grad {mu.grad.item():.2e})")
