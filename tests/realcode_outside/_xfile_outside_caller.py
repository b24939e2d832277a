"""A caller outside the real-code set's project (tests/fixtures): torchls never reads it for call sites."""

import torch
from negatives_xfile import last_side


def last_sides():
    return last_side(torch.zeros(2, 5)), last_side(torch.ones(3))
