"""`cabin models tune`: a LoRA adapter for vehicle tool calls, trained on CPU from the shipped GGUF.

The default model's GGUF is loaded by transformers (dequantised to float32), LoRA matrices are added
to every attention and MLP projection (peft), and the adapter is trained on the generated data
(`models.tuning.data`) with the loss on the answer tokens only: the hidden states of the prompt go
through no vocabulary projection (262k logits per token for Gemma 3, most of the cost). One pass over
the data in a fixed order (the seed), AdamW, linear warm-up and decay. Two savings make it fit a
loaded 2-core CPU: LoRA on the top `layers` decoder layers only (the backward pass stops below them),
and the softmax of the loss taken over the training set's own vocabulary (every token of its prompts
and answers) instead of all 262k tokens. Decoding is constrained at inference (the tool name over a
closed list, the arguments by their JSON schema), so what the adapter must learn is the order of the
tokens the grammar allows, and those are in that vocabulary. A progress bar shows loss and
ETA; every step is written to the run log (`run.jsonl`). The adapter is exported as a GGUF LoRA
adapter (`models.tuning.export`) that llama.cpp applies over the quantised base model.

Needs the optional extra `[tune]` (torch, transformers, peft, gguf); imported only by the command.
"""

from __future__ import annotations

import importlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.tuning.data import Example
from models.tuning.errors import TuneError, TuningUnavailable
from models.tuning.format import (
    NO_TOOL,
    TUNED_PREFIX,
    arguments_opening,
    completion,
    opening,
    render_arguments,
)

__all__ = ["TrainConfig", "TrainResult", "encode", "load_base", "train"]

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainConfig(BaseModel):
    """How an adapter is trained (the defaults are the shipped adapter's; docs/models.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    examples: int = Field(default=1200, ge=20, le=100_000)
    seed: int = Field(default=0, ge=0)
    rank: int = Field(default=16, ge=1, le=256)
    alpha: int = Field(default=32, ge=1)
    targets: tuple[str, ...] = TARGET_MODULES
    layers: int = Field(default=8, ge=0, le=1000)
    """Adapt only the top `layers` decoder layers (0: all). The layers below get no LoRA weights, so
    the backward pass stops where they end."""
    epochs: float = Field(default=1.0, gt=0, le=20)
    batch_size: int = Field(default=8, ge=1, le=256)
    learning_rate: float = Field(default=1e-3, gt=0, le=1)
    warmup_steps: int = Field(default=10, ge=0)
    weight_decay: float = Field(default=0.0, ge=0)
    max_steps: int | None = Field(default=None, ge=1)
    threads: int | None = Field(default=None, ge=1, le=256)


class TrainResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    steps: int
    examples_seen: int
    seconds: float
    final_loss: float
    trainable_parameters: int


def _optional(name: str) -> Any:
    """A package of the ``[tune]`` extra (imported by name: the base install does not have it)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise TuningUnavailable(
            f"tuning needs the optional packages of the [tune] extra ({name} is missing): "
            "pip install -e '.[tune]'"
        ) from exc


def load_base(gguf_path: Path) -> tuple[Any, Any]:
    """(tokenizer, model) from the GGUF file, the model dequantised to float32."""
    torch = _optional("torch")
    transformers = _optional("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    model.config.use_cache = False
    return tokenizer, model


def encode(tokenizer: Any, example: Example, schemas: dict[str, dict[str, Any]]) -> tuple[list[int], int]:
    """The token ids of one example and where its answer starts, tokenised as inference sees them:
    the prefix (with BOS); the prompt up to the tool name; for a tool, the tokens of the second
    step's prompt from there on (the name, then `", "arguments": ` up to its trailing space, which
    inference tokenises whole), then the arguments object as the constrained decoder writes it
    after that space, then end of sequence (where the decoder's grammar is complete). Tokenising the
    whole call in one piece would teach `": {"` where inference continues a lone space with `{`."""
    prefix = tokenizer(TUNED_PREFIX, add_special_tokens=True)["input_ids"]
    if tokenizer.bos_token_id is not None and (not prefix or prefix[0] != tokenizer.bos_token_id):
        prefix = [tokenizer.bos_token_id, *prefix]
    prompt = tokenizer(opening(example.text, example.seat), add_special_tokens=False)["input_ids"]
    call = example.call

    def ids(text: str) -> list[int]:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    if call.tool == NO_TOOL:
        answer = ids(completion(NO_TOOL, None, None))
    else:
        second = ids(arguments_opening(example.text, example.seat, call.tool))
        if second[: len(prompt)] == list(prompt):
            arguments = render_arguments(schemas.get(call.tool) or {}, call.arguments)
            end = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
            answer = [*second[len(prompt) :], *ids(arguments), *end]
        else:  # the name merged with the prompt's last token: keep the call in one piece
            answer = ids(completion(call.tool, call.arguments, schemas.get(call.tool)))
    return [*prefix, *prompt, *answer], len(prefix) + len(prompt)


def _bar(total: int) -> Callable[[int, float, float], None]:
    """A progress line on stderr: step, loss, elapsed and ETA (a terminal line, or a line per 10 %)."""
    tty = sys.stderr.isatty()
    started = time.monotonic()
    shown = -1

    def update(step: int, loss: float, lr: float) -> None:
        nonlocal shown
        elapsed = time.monotonic() - started
        eta = elapsed / step * (total - step) if step else 0.0
        width = 28
        done = int(width * step / total)
        line = (
            f"tune [{'#' * done}{'.' * (width - done)}] {step}/{total} loss {loss:.4f} lr {lr:.2e} "
            f"{elapsed / max(step, 1):.1f} s/step elapsed {_clock(elapsed)} ETA {_clock(eta)}"
        )
        if tty:
            sys.stderr.write("\r" + line + ("\n" if step == total else ""))
            sys.stderr.flush()
        elif step * 10 // total != shown or step == total:
            shown = step * 10 // total
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    return update


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def train(
    tokenizer: Any,
    model: Any,
    examples: Sequence[Example],
    schemas: dict[str, dict[str, Any]],
    config: TrainConfig,
    run_log: Path,
    *,
    progress: bool = True,
) -> tuple[Any, TrainResult]:
    """Train a LoRA adapter on `examples`; returns (the peft model, the result). Every step is a
    line of `run_log` (JSONL: step, loss, learning rate, seconds)."""
    torch = _optional("torch")
    peft = _optional("peft")

    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    n_layers = int(model.config.num_hidden_layers)
    adapted = list(range(max(0, n_layers - config.layers), n_layers)) if config.layers else None
    lora = peft.LoraConfig(
        layers_to_transform=adapted,
        layers_pattern="layers" if adapted else None,
        r=config.rank,
        lora_alpha=int(config.alpha),
        lora_dropout=0.0,
        target_modules=list(config.targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    peft_model = peft.get_peft_model(model, lora)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    encoded = [encode(tokenizer, e, schemas) for e in examples]
    vocabulary = sorted({t for ids, _ in encoded for t in ids} | {int(tokenizer.eos_token_id or 1)})
    remap = {token: i for i, token in enumerate(vocabulary)}
    order = list(range(len(encoded)))
    passes = max(1, math.ceil(config.epochs))
    rng = random.Random(config.seed)
    schedule: list[int] = []
    for _ in range(passes):
        rng.shuffle(order)
        schedule.extend(order)
    schedule = schedule[: int(len(encoded) * config.epochs)]
    batches = [schedule[i : i + config.batch_size] for i in range(0, len(schedule), config.batch_size)]
    if config.max_steps is not None:
        batches = batches[: config.max_steps]
    if not batches:
        raise TuneError("no training steps: give more examples or a larger max_steps")
    total = len(batches)
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return config.learning_rate * (step + 1) / config.warmup_steps
        remaining = max(total - config.warmup_steps, 1)
        return config.learning_rate * max(0.05, 1.0 - (step - config.warmup_steps) / remaining)

    inner: Any = peft_model.base_model.model  # the causal LM with LoRA layers in place
    decoder, head = inner.model, inner.lm_head
    softcap = getattr(inner.config, "final_logit_softcapping", None)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    with torch.no_grad():
        head_rows = head.weight[torch.tensor(vocabulary)].detach().clone()
    update = _bar(total) if progress else None
    run_log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    loss_value = float("nan")
    peft_model.train()
    with run_log.open("w", encoding="utf-8") as log:
        log.write(
            json.dumps(
                {
                    "event": "start",
                    "config": config.model_dump(mode="json"),
                    "examples": len(examples),
                    "steps": total,
                    "trainable_parameters": n_trainable,
                    "vocabulary": len(vocabulary),
                    "adapted_layers": adapted,
                }
            )
            + "\n"
        )
        for step, batch in enumerate(batches):
            t0 = time.monotonic()
            rows = [encoded[i] for i in batch]
            width = max(len(ids) for ids, _ in rows)
            input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            positions: list[tuple[int, int]] = []
            targets: list[int] = []
            for r, (ids, start) in enumerate(rows):
                input_ids[r, : len(ids)] = torch.tensor(ids)
                mask[r, : len(ids)] = 1
                for j in range(start, len(ids)):
                    positions.append((r, j - 1))  # the hidden state at j-1 predicts token j
                    targets.append(remap[ids[j]])
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
            hidden = decoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
            index = torch.tensor(positions)
            logits = hidden[index[:, 0], index[:, 1]] @ head_rows.T
            if softcap:
                logits = torch.tanh(logits / softcap) * softcap
            loss = torch.nn.functional.cross_entropy(logits.float(), torch.tensor(targets))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            loss_value = float(loss.detach())
            log.write(
                json.dumps(
                    {
                        "step": step + 1,
                        "loss": round(loss_value, 5),
                        "lr": lr_at(step),
                        "seconds": round(time.monotonic() - t0, 3),
                    }
                )
                + "\n"
            )
            log.flush()
            if update is not None:
                update(step + 1, loss_value, lr_at(step))
        seconds = time.monotonic() - started
        log.write(
            json.dumps(
                {"event": "end", "steps": total, "seconds": round(seconds, 1), "final_loss": loss_value}
            )
            + "\n"
        )
    peft_model.eval()
    return peft_model, TrainResult(
        steps=total,
        examples_seen=sum(len(b) for b in batches),
        seconds=seconds,
        final_loss=loss_value,
        trainable_parameters=n_trainable,
    )
