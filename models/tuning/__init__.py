"""Fine-tuning the on-device model for vehicle tool calls (`cabin models tune`, docs/models.md).

`data` generates the training set from the vehicle tools' schemas and the agent's grammar, `format`
is the prompt format shared by training and inference, `train` fits a LoRA adapter (needs the
optional extra `[tune]`: torch, transformers, peft, gguf), `export` writes it as a GGUF LoRA adapter,
`evaluate` measures base and tuned model on the held-out split. Importing this package needs none
of the optional packages.
"""

from __future__ import annotations

from models.tuning.errors import DataError, ExportError, TuneError, TuningUnavailable

__all__ = ["DataError", "ExportError", "TuneError", "TuningUnavailable"]
