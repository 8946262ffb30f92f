# Teaches softmax and cross-entropy written by hand (logsumexp trick) against F.cross_entropy, with grad softmax - onehot; imitates D2L "Softmax Regression from Scratch".
# ruff: noqa
# fmt: off
import torch
import torch.nn.functional as F

torch.manual_seed(17)
logits = torch.randn(4, 3, requires_grad=True)
labels = torch.tensor([0, 2, 1, 2])


def softmax(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1, keepdim=True)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y]).mean()


mine = cross_entropy(softmax(logits), labels)
mine.backward()
g_mine = logits.grad.clone()
logits.grad = None
ref = F.cross_entropy(logits, labels)
ref.backward()
print(f"mine {mine.item():.6f} torch {ref.item():.6f}")
print("grads close:", torch.allclose(g_mine, logits.grad, atol=1e-6))
onehot = F.one_hot(labels, 3).float()
print("grad == (softmax - onehot)/N:", torch.allclose(logits.grad, (softmax(logits) - onehot).detach() / 4, atol=1e-6))
print("row sums of softmax:", softmax(logits).sum(1).detach())
