# Teaches a model as a plain Python class holding tensors in self.w / self.b, trained by hand; imitates university notebooks that build layers before nn.Module.
# ruff: noqa
# fmt: off
import torch


class Linear:
    def __init__(self, n_in, n_out, gen):
        self.w = (torch.randn(n_in, n_out, generator=gen) / n_in ** 0.5).requires_grad_()
        self.b = torch.zeros(n_out, requires_grad=True)

    def __call__(self, x):
        return x @ self.w + self.b

    def parameters(self):
        return [self.w, self.b]


class MLP:
    def __init__(self, sizes, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.layers = [Linear(a, b, gen) for a, b in zip(sizes, sizes[1:])]

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.tanh(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


mlp = MLP([2, 5, 1], seed=3)
X = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]])
for step in range(300):
    loss = ((mlp(X) - Y) ** 2).mean()
    for p in mlp.parameters():
        p.grad = None
    loss.backward()
    for p in mlp.parameters():
        p.data -= 0.2 * p.grad
    if step % 50 == 0:
        print(f"step {step:3d} loss {loss.item():.5f}")

print("parameters:", sum(p.numel() for p in mlp.parameters()))
first = mlp.layers[0]
print("first layer w.grad shape:", tuple(first.w.grad.shape))
print("predictions:", [round(v, 3) for v in mlp(X).squeeze(1).tolist()])
