"""Writing a trained LoRA adapter as a GGUF LoRA adapter that llama.cpp applies over the base GGUF.

llama.cpp reads an adapter file whose `general.type` is `adapter`, `adapter.type` is `lora`,
`adapter.lora.alpha` is the LoRA alpha, and whose tensors are named after the base model's tensors
with `.lora_a` / `.lora_b` appended (`blk.3.attn_q.weight.lora_a`). A is stored as peft keeps it
(rank x inputs), B likewise (outputs x rank); llama.cpp scales B·A by alpha / rank. The architecture
must be the base model's (`gemma3`): llama.cpp refuses an adapter of another architecture.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from models.tuning.errors import ExportError, TuningUnavailable

__all__ = ["GGUF_NAMES", "export_lora"]

GGUF_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
"""Hugging Face module names of a decoder layer -> llama.cpp tensor names."""

_KEY = re.compile(r"layers\.(\d+)\.(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$")


def export_lora(
    peft_model: Any,
    path: Path,
    *,
    architecture: str,
    alpha: float,
    name: str,
    metadata: dict[str, str] | None = None,
) -> int:
    """Write `peft_model`'s LoRA weights (float16) to `path`; returns the number of tensors."""
    import numpy as np

    try:
        gguf: Any = importlib.import_module("gguf")
    except ImportError as exc:
        raise TuningUnavailable(
            "exporting needs the gguf package of the [tune] extra: pip install -e '.[tune]'"
        ) from exc
    tensors: list[tuple[str, Any]] = []
    for key, value in peft_model.state_dict().items():
        if "lora_" not in key:
            continue
        match = _KEY.search(key)
        if match is None:
            raise ExportError(f"cannot place LoRA weight {key!r} in a GGUF adapter")
        layer, module, which = match.groups()
        base = GGUF_NAMES.get(module)
        if base is None:
            raise ExportError(f"no llama.cpp tensor for module {module!r} (LoRA weight {key!r})")
        array = value.detach().to("cpu").float().numpy().astype(np.float16)
        tensors.append((f"blk.{layer}.{base}.weight.lora_{which.lower()}", array))
    if not tensors:
        raise ExportError("the model has no LoRA weights to export")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    writer.add_name(name)
    for key, value in (metadata or {}).items():
        writer.add_string(f"cabin.{key}", value)
    for tensor_name, array in sorted(tensors):
        writer.add_tensor(tensor_name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(tensors)
