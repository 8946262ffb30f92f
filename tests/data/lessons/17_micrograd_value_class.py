# Teaches how backprop works by building a tiny scalar autograd class and checking it against torch; imitates micrograd (Value with _backward closures).
# ruff: noqa
# fmt: off
import math

import torch


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = list(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], []

        def build(v):
            if not any(v is seen for seen in visited):
                visited.append(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

    def __repr__(self):
        return f"Value(data={self.data:.6f}, grad={self.grad:.6f})"


a, b, c = Value(2.0), Value(-3.0), Value(10.0)
d = (a * b + c).tanh() * a + b
d.backward()
print("mine :", a, b, c)

ta = torch.tensor(2.0, dtype=torch.double, requires_grad=True)
tb = torch.tensor(-3.0, dtype=torch.double, requires_grad=True)
tc = torch.tensor(10.0, dtype=torch.double, requires_grad=True)
td = torch.tanh(ta * tb + tc) * ta + tb
td.backward()
print("torch:", f"{ta.grad.item():.6f} {tb.grad.item():.6f} {tc.grad.item():.6f}")
print("agree:", all(abs(m.grad - t.grad.item()) < 1e-12 for m, t in [(a, ta), (b, tb), (c, tc)]))
