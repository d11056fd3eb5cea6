"""``chainrule.interop``: weights in and out of other frameworks' files, without importing them.

``pytorch.py``: PyTorch state dicts in safetensors files (``load_torch_state_dict``,
``save_torch_state_dict``).
"""
from .pytorch import load_torch_state_dict, save_torch_state_dict

__all__ = ["load_torch_state_dict", "save_torch_state_dict"]
