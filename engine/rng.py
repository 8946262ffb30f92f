"""Seeding torch's random generator for a run, cheaply."""

from __future__ import annotations

import torch


def seed(value: int) -> None:
    """Seed the CPU generator, the only one a program here can draw from.

    torch.manual_seed also queues seeding for CUDA, XPU and MTIA, and each queued call
    captures a stack trace: about 2 ms a call, paid by every finite-difference re-run.
    """
    torch.default_generator.manual_seed(value)
