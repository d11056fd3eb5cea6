"""``Parameter``: a leaf tensor that a ``Module`` registers and an optimizer updates."""
from __future__ import annotations

import numpy as np

from ..autodiff.tensor import Tensor


class Parameter(Tensor):
    """A tensor that requires grad by default and is found by ``Module.parameters()``.

    Optimizers update ``param.data`` in place and read ``param.grad``.
    """

    def __init__(self, data, requires_grad: bool = True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__()[len("tensor("):]

    def __reduce__(self):          # copy.deepcopy support (Tensor has __slots__)
        return (Parameter, (np.array(self.data), self.requires_grad, self.data.dtype))
