"""The llama.cpp backend (through llama-cpp-python's C API bindings).

Memory layout: one ``llama_model`` (the GGUF, memory-mapped once) and two contexts over it:

* the generation context, a unified KV cache shared by several sequences: ``prefix_slots`` sequences
  hold evaluated static prefixes, ``parallel`` sequences hold running requests, and ``score_lanes``
  sequences evaluate score candidates side by side. A request with a known prefix copies the
  prefix's cells into its own sequence (no recomputation, no copy of data: cells are shared) and
  evaluates only its new tokens. Two more sequences keep what the last finished request evaluated
  (one per adapter, up to 256 tokens): a request that begins with the same tokens, as the second
  step of a two-step tool call repeats the first step's prompt and the name it chose, copies those
  cells and evaluates only the rest;
* a small embedding context, created on first use, that runs the transformer, reads the final
  normalised hidden states of every token and stops the graph there: the vocabulary projection
  (262k logits per token for Gemma 3, most of the cost of a short text) is never computed. Mean
  pooling is then done here; the result equals llama.cpp's own ``pooling_type=MEAN`` embeddings.

Sampling is done on the logits with numpy (greedy by default). GBNF grammars use llama.cpp's grammar
sampler, applied first to the one token the model prefers and only when that is rejected to the
best-ranked candidates, so a constrained token usually costs no more than a free one. Grammars that
are plain alternations of literals are decoded over a token trie of the literals instead; a chosen
token is evaluated in one batch with the tokens every literal left continues with. JSON output
ends at the bracket that closes its object or array (only whitespace could follow), without another
model evaluation.

What a JSON schema forces next (keys in their fixed order, punctuation, the rest of an enum value
once its start is unique: `models.grammar.JsonLayout`) is taken without asking the model (jump-forward
decoding): tokenised as the whole output is (as training tokenised the tuned model's calls), each
token checked by the grammar, and evaluated in the batch of the chosen token before it (what is
forced at the start, with the prompt), with logits on the last row only. A model evaluation then
yields a chosen token and everything forced after it.
"""

from __future__ import annotations

import codecs
import ctypes
import glob
import json
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import llama_cpp
import numpy as np
import numpy.typing as npt

from models.backend import Embeddings, ModelBackend, Step
from models.config import RuntimeConfig
from models.errors import (
    AdapterMismatch,
    BackendFailure,
    CapabilityNotSupported,
    ContextOverflow,
    GrammarError,
    InvalidRequest,
    ModelCorrupt,
    ModelNotInstalled,
    OutputTruncated,
)
from models.grammar import JsonLayout, literal_choices, schema_to_grammar
from models.prompts import ChatFormat, Segment, chat_format
from models.registry import ModelSpec
from models.types import (
    AdapterInfo,
    ChatRequest,
    Completion,
    CompletionRequest,
    ModelInfo,
    OptionScore,
    Sampling,
    ScoreRequest,
    ScoreResult,
    Timings,
)

__all__ = ["LlamaCppBackend", "open_llama", "repack_weights"]

_log = logging.getLogger(__name__)
_engine_log = logging.getLogger("models.llama_cpp")

# -- llama.cpp log routing ------------------------------------------------------------------------

_RECENT_ERRORS: deque[str] = deque(maxlen=16)
_INIT_LOCK = threading.Lock()
_initialised = False
_amx_warned = False


def _engine_log_message(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    message = text.decode("utf-8", "replace").rstrip()
    if not message:
        return
    if level == 3:
        # Kept for the message of the typed error that follows; the error itself is what callers see.
        _RECENT_ERRORS.append(message)
    _engine_log.debug("%s", message)


_on_engine_log = llama_cpp.llama_log_callback(_engine_log_message)


def _init_engine() -> None:
    global _initialised
    with _INIT_LOCK:
        if _initialised:
            return
        llama_cpp.llama_log_set(_on_engine_log, ctypes.c_void_p(0))
        llama_cpp.llama_backend_init()
        _initialised = True


def repack_weights() -> bool:
    """Whether llama.cpp may repack the weights into its extra CPU buffer types at load.

    Not when the build multiplies with Intel AMX (built on a CPU that has it, e.g. Sapphire Rapids):
    that path crashes the process with a segmentation fault in ``ggml_backend_amx_mul_mat`` on the
    first decode of Q4_K weights (ggml-org/llama.cpp#20824, no fix upstream). The weights then stay
    in the plain CPU buffer and run on the AVX kernels. Other builds repack as usual.
    """
    _init_engine()
    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    if "AMX_INT8 = 1" not in info:
        return True
    global _amx_warned
    if not _amx_warned:
        _amx_warned = True
        _log.warning(
            "this llama.cpp build multiplies with AMX, which crashes on Q4_K weights; "
            "loading the weights without repacking them"
        )
    return False


_DEFAULTS_LOCK = threading.Lock()


def open_llama(*args: Any, **kwargs: Any) -> llama_cpp.Llama:
    """``llama_cpp.Llama(*args, **kwargs)`` with its weights loaded as `repack_weights` allows.

    ``Llama`` takes no option for the extra buffer types; while it is built, the library's default
    model parameters are swapped for ones without them (under a lock, restored afterwards). For
    llama-cpp-python's high-level API where cabin uses it: the vision models, the bench baseline.
    """
    if repack_weights():
        return llama_cpp.Llama(*args, **kwargs)
    from llama_cpp import llama_cpp as api

    defaults = api.llama_model_default_params

    def plain_buffers() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    with _DEFAULTS_LOCK:
        api.llama_model_default_params = plain_buffers
        try:
            return llama_cpp.Llama(*args, **kwargs)
        finally:
            api.llama_model_default_params = defaults


def _recent_errors() -> str:
    return " | ".join(_RECENT_ERRORS)


# -- ggml tensor access for the lean embedding graph ---------------------------------------------


class _Ggml:
    """The few ggml functions needed to read a tensor inside an eval callback."""

    def __init__(self) -> None:
        libdir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
        names = [
            *glob.glob(os.path.join(libdir, "libggml-base.*")),
            *glob.glob(os.path.join(libdir, "ggml-base.dll")),
        ]
        if not names:
            raise OSError(f"libggml-base not found in {libdir}")
        lib = ctypes.CDLL(sorted(names, key=len)[0])
        self.get_name = lib.ggml_get_name
        self.get_name.restype = ctypes.c_char_p
        self.get_name.argtypes = [ctypes.c_void_p]
        self.nelements = lib.ggml_nelements
        self.nelements.restype = ctypes.c_int64
        self.nelements.argtypes = [ctypes.c_void_p]
        self.data_f32 = lib.ggml_get_data_f32
        self.data_f32.restype = ctypes.POINTER(ctypes.c_float)
        self.data_f32.argtypes = [ctypes.c_void_p]
        self.is_contiguous = lib.ggml_is_contiguous
        self.is_contiguous.restype = ctypes.c_bool
        self.is_contiguous.argtypes = [ctypes.c_void_p]


# -- small helpers -------------------------------------------------------------------------------

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)
_TOP_CANDIDATES = 256


class _Batch:
    def __init__(self, capacity: int, n_seq_max: int) -> None:
        self.capacity = capacity
        self.raw = llama_cpp.llama_batch_init(capacity, 0, n_seq_max)
        self.n = 0

    def clear(self) -> None:
        self.n = 0
        self.raw.n_tokens = 0

    def add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        i = self.n
        if i >= self.capacity:
            raise BackendFailure("internal batch overflow")
        raw = self.raw
        raw.token[i] = token
        raw.pos[i] = pos
        raw.n_seq_id[i] = 1
        raw.seq_id[i][0] = seq
        raw.logits[i] = 1 if logits else 0
        self.n = i + 1
        raw.n_tokens = self.n
        return i

    def close(self) -> None:
        if self.raw is not None:
            llama_cpp.llama_batch_free(self.raw)
            self.raw = None


class _TextOut:
    """Incremental UTF-8 decoding with stop sequences held back until they are ruled out."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._stops = tuple(stops)
        self._hold = max((len(s) for s in stops), default=1) - 1
        self.text = ""
        self._emitted = 0

    def _cut(self) -> bool:
        if not self._stops:
            return False
        start = max(0, self._emitted - self._hold)
        hits = [i for s in self._stops if (i := self.text.find(s, start)) >= 0]
        if hits:
            self.text = self.text[: min(hits)]
            return True
        return False

    def feed(self, piece: bytes) -> tuple[str, bool]:
        self.text += self._decoder.decode(piece)
        stopped = self._cut()
        limit = len(self.text) if stopped else len(self.text) - self._hold
        if limit > self._emitted:
            out = self.text[self._emitted : limit]
            self._emitted = limit
            return out, stopped
        return "", stopped

    def flush(self) -> str:
        self.text += self._decoder.decode(b"", final=True)
        self._cut()
        out = self.text[self._emitted :]
        self._emitted = len(self.text)
        return out


class _Picker:
    """Chooses a token from logits: greedy at temperature 0, else top-k / top-p / min-p sampling."""

    def __init__(self, sampling: Sampling) -> None:
        self.s = sampling
        self.rng = np.random.default_rng(sampling.seed)
        self.recent: deque[int] = deque(maxlen=64)

    def adjust(self, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        if self.s.repeat_penalty == 1.0 or not self.recent:
            return logits
        out = logits.copy()
        ids = np.fromiter(set(self.recent), dtype=np.int64)
        vals = out[ids]
        out[ids] = np.where(vals > 0, vals / self.s.repeat_penalty, vals * self.s.repeat_penalty)
        return out

    def pick(self, logits: npt.NDArray[np.float32], allowed: npt.NDArray[np.int64] | None = None) -> int:
        ids = allowed
        vals = logits if ids is None else logits[ids]
        if self.s.temperature == 0.0:
            j = int(np.argmax(vals))
            return j if ids is None else int(ids[j])
        k = len(vals) if self.s.top_k <= 0 else min(self.s.top_k, len(vals))
        top = np.argpartition(-vals, k - 1)[:k] if k < len(vals) else np.arange(len(vals))
        order = top[np.argsort(-vals[top], kind="stable")]
        scaled = vals[order].astype(np.float64) / self.s.temperature
        probs = np.exp(scaled - scaled.max())
        probs /= probs.sum()
        keep = np.ones(len(order), dtype=bool)
        if self.s.top_p < 1.0:
            cum = np.cumsum(probs)
            keep &= np.concatenate(([True], cum[:-1] < self.s.top_p))
        if self.s.min_p > 0.0:
            keep &= probs >= self.s.min_p * probs[0]
        probs = np.where(keep, probs, 0.0)
        probs /= probs.sum()
        j = int(order[self.rng.choice(len(order), p=probs)])
        return j if ids is None else int(ids[j])

    def accept(self, token: int) -> None:
        self.recent.append(token)


class _Grammar:
    """llama.cpp's grammar sampler, used as an acceptance test on candidate tokens."""

    def __init__(self, vocab: Any, gbnf: str) -> None:
        _RECENT_ERRORS.clear()
        smpl = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode("utf-8"), b"root")
        if not smpl:
            detail = _recent_errors() or "parse error"
            raise GrammarError(f"the grammar does not compile: {detail}; check it against the GBNF syntax")
        self._smpl = smpl

    def allowed(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        arr = np.zeros(len(ids), dtype=_TOKEN_DATA)
        arr["id"] = ids
        data = arr.ctypes.data_as(llama_cpp.llama_token_data_p)
        tda = llama_cpp.llama_token_data_array(data=data, size=len(ids), selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._smpl, ctypes.byref(tda))
        ok: npt.NDArray[np.bool_] = np.isfinite(arr["logit"])
        return ok

    def accept(self, token: int) -> None:
        llama_cpp.llama_sampler_accept(self._smpl, token)

    def close(self) -> None:
        if self._smpl:
            llama_cpp.llama_sampler_free(self._smpl)
            self._smpl = None


@dataclass
class _Choices:
    """Greedy (or sampled) decoding over a trie of the literals of a choice grammar."""

    labels: list[str]
    seqs: list[list[int]]

    def __post_init__(self) -> None:
        self.alive = list(range(len(self.labels)))
        self.depth = 0

    def finished(self) -> int | None:
        """The label index once only one label is possible."""
        return self.alive[0] if len(self.alive) == 1 else None

    def options(self) -> tuple[list[int], bool]:
        nxt = sorted({self.seqs[i][self.depth] for i in self.alive if len(self.seqs[i]) > self.depth})
        complete = any(len(self.seqs[i]) == self.depth for i in self.alive)
        return nxt, complete

    def forced(self, limit: int) -> list[int]:
        """Advance over the tokens that every remaining label continues with (at most `limit`), and
        return them; stops where labels part, where one may end, or once one label is left."""
        taken: list[int] = []
        while len(taken) < limit and self.finished() is None:
            options, complete = self.options()
            if len(options) != 1 or complete:
                break
            self.advance(options[0])
            taken.append(options[0])
        return taken

    def advance(self, token: int) -> None:
        self.alive = [
            i for i in self.alive if len(self.seqs[i]) > self.depth and self.seqs[i][self.depth] == token
        ]
        self.depth += 1


@dataclass
class _Slot:
    seq: int
    n_tokens: int


@dataclass
class _Recent:
    """A finished request's evaluated tokens, kept in their own sequence for the next request that
    starts with the same tokens (under the same adapter)."""

    seq: int
    tokens: list[int]


@dataclass
class _Run:
    """The state of one generation while its tokens are decoded."""

    seq: int
    n_past: int
    prompt_len: int
    evaluated: list[int]  # the tokens whose cells ``seq`` holds, in order
    picker: _Picker
    out: _TextOut
    max_tokens: int
    json_output: bool
    finish: str = "length"
    generated: int = 0
    layout_fed: int = 0  # characters of the output the JSON layout has followed


_FORECAST_CHARS = 64
_FORECAST_TOKENS = 16
"""At most this much of what a JSON schema forces is taken at once."""

_RECENT_SEQS = 2
"""Sequences that keep the evaluated tokens of recently finished requests (one per adapter)."""

_RECENT_MAX_TOKENS = 256
"""Longer requests are not kept: their cells would crowd the shared KV cache for little gain."""


class _Threads:
    """How many CPU threads a context computes with: all cores, or one while the cores are busy with
    other work, chosen from measured evaluations (the generation context's single-token ones, the
    embedding context's batches per token).

    llama.cpp's threads meet at a barrier after every operation of a forward pass, so when other
    processes hold the cores, a descheduled thread stalls the others at every barrier (on 2 cores at
    a load average of 3.7, a two-step tool call took 2.0 s at the median with 2 threads and 0.5 s
    with 1; at 2.0, a 12-word embedding 148 ms against 82 ms; on an idle machine 2 threads are
    faster). The faster count so far is used, and every `EXPLORE_EVERY`-th measured evaluation tries
    the other one so a change of load is noticed.
    The output does not depend on the thread count (each row of a result is computed by one thread;
    a test checks the logits are equal). Only when the thread count was not fixed in the
    configuration (``CABIN_MODEL_THREADS``)."""

    EXPLORE_EVERY = 16
    _WEIGHT = 0.5  # of a new measurement in the running cost

    def __init__(self, most: int, adaptive: bool) -> None:
        self.options = (most, 1) if adaptive and most > 1 else (most,)
        self._cost: dict[int, float] = {}
        self._count = 0

    def best(self) -> int:
        """The thread count with the lowest measured cost (the first option until both are measured)."""
        known = [n for n in self.options if n in self._cost]
        return min(known, key=self._cost.__getitem__) if len(known) == len(self.options) else self.options[0]

    def next_measured(self) -> int:
        """The thread count for the next measured evaluation (its time goes to `record`)."""
        if len(self.options) == 1:
            return self.options[0]
        self._count += 1
        unmeasured = [n for n in self.options if n not in self._cost]
        if unmeasured and self._count > 1:
            return unmeasured[0]
        best = self.best()
        if self._count % self.EXPLORE_EVERY == 0:
            return next(n for n in self.options if n != best)
        return best

    def record(self, threads: int, ms: float) -> None:
        old = self._cost.get(threads)
        self._cost[threads] = ms if old is None else old + self._WEIGHT * (ms - old)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _json_complete(text: str) -> bool:
    """Whether ``text`` (grammar-constrained JSON output) is a whole object or array: after its
    closing bracket the grammar admits only whitespace and the end."""
    body = text.rstrip()
    if not body.endswith(("}", "]")):
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _log_softmax_at(logits: npt.NDArray[np.float32], token: int) -> float:
    x = logits.astype(np.float64, copy=False)
    m = float(x.max())
    return float(x[token] - m - np.log(np.exp(x - m).sum()))


class LlamaCppBackend(ModelBackend):
    """Text models through llama.cpp (see the module docstring for the memory layout)."""

    def __init__(
        self,
        spec: ModelSpec,
        path: str,
        config: RuntimeConfig,
        adapters: Sequence[tuple[AdapterInfo, str]] = (),
    ) -> None:
        _init_engine()
        if not os.path.isfile(path):
            raise ModelNotInstalled(f"model {spec.id!r} is not installed at {path}: {spec.how_to_install()}")
        self._spec = spec
        self._path = path
        self._threads = config.resolved_threads()
        self._thread_choice = _Threads(self._threads, adaptive=config.threads is None)
        self._ctx_threads = self._threads
        self._embed_threads = _Threads(self._threads, adaptive=config.threads is None)
        self._ectx_threads = self._threads
        mparams = llama_cpp.llama_model_default_params()
        mparams.use_extra_bufts = repack_weights()
        _RECENT_ERRORS.clear()
        model = llama_cpp.llama_model_load_from_file(path.encode("utf-8"), mparams)
        if not model:
            raise ModelCorrupt(
                f"llama.cpp cannot load {path} ({_recent_errors() or 'not a valid GGUF'}); "
                f"run `cabin models verify {spec.id}` and, if it fails, {spec.how_to_install()}"
            )
        self._model = model
        self._vocab = llama_cpp.llama_model_get_vocab(model)
        self._n_vocab = int(llama_cpp.llama_vocab_n_tokens(self._vocab))
        self._n_embd = int(llama_cpp.llama_model_n_embd(model))
        n_ctx_train = int(llama_cpp.llama_model_n_ctx_train(model))
        self._n_ctx = min(config.n_ctx, n_ctx_train) if n_ctx_train > 0 else config.n_ctx
        self._n_batch = min(config.n_batch, self._n_ctx)
        self._add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self._vocab))
        self._eog_ids: npt.NDArray[np.int64] | None = None
        self._pieces: dict[int, bytes] = {}

        n_slots, n_work, n_lanes = config.prefix_slots, config.parallel, config.score_lanes
        self.max_active = n_work
        self._free_slot_seqs = list(range(n_slots))
        self._free_work = list(range(n_slots, n_slots + n_work))
        self._lanes = list(range(n_slots + n_work, n_slots + n_work + n_lanes))
        first_recent = n_slots + n_work + n_lanes
        self._free_recent = list(range(first_recent, first_recent + _RECENT_SEQS))
        self._n_seq_max = first_recent + _RECENT_SEQS
        self._slots: OrderedDict[tuple[str | None, tuple[int, ...]], _Slot] = OrderedDict()
        # The evaluated tokens of the last finished request per adapter: a request that starts with
        # the same tokens (the second step of a two-step call repeats the first step's prompt and the
        # name it chose) copies their cells and evaluates only the rest.
        self._recent: OrderedDict[str | None, _Recent] = OrderedDict()
        # LoRA adapters: loaded once over the weights, applied to the generation context only for the
        # sequences of requests that name one (never to the embedding context).
        self._adapters: dict[str, Any] = {}
        self._seq_adapter: dict[int, str | None] = {}
        self._applied: str | None = None
        for adapter, adapter_path in adapters:
            _RECENT_ERRORS.clear()
            handle = llama_cpp.llama_adapter_lora_init(model, adapter_path.encode("utf-8"))
            if not handle:
                for loaded in self._adapters.values():
                    llama_cpp.llama_adapter_lora_free(loaded)
                llama_cpp.llama_model_free(model)
                raise AdapterMismatch(
                    f"llama.cpp cannot apply adapter {adapter.id} ({adapter_path}) to {spec.id}: "
                    f"{_recent_errors() or 'not a LoRA adapter of this architecture'}"
                )
            self._adapters[adapter.id] = handle

        cparams = self._context_params(self._n_ctx, self._n_batch, self._n_seq_max)
        ctx = llama_cpp.llama_init_from_model(model, cparams)
        if not ctx:
            for handle in self._adapters.values():
                llama_cpp.llama_adapter_lora_free(handle)
            llama_cpp.llama_model_free(model)
            raise BackendFailure(
                f"llama.cpp could not create a context ({_recent_errors() or 'out of memory?'})"
            )
        self._ctx = ctx
        self._mem = llama_cpp.llama_get_memory(ctx)
        self._batch = _Batch(max(self._n_batch, 1), self._n_seq_max)

        self._embed_cfg = (config.embed_max_tokens, config.embed_batch)
        self._ectx: Any = None
        self._emem: Any = None
        self._ebatch: _Batch | None = None
        self._ggml: _Ggml | None = None
        self._captured: list[npt.NDArray[np.float32]] = []
        self._eval_cb: Any = None
        self._lean = True
        self._e_nseq = 16

        meta = self._metadata()
        template = spec.chat_template
        if spec.prompt_format == "gguf" and template is None:
            template = meta.get("tokenizer.chat_template")
        bos = self._piece_text(int(llama_cpp.llama_vocab_bos(self._vocab)), special=True)
        eos = self._piece_text(int(llama_cpp.llama_vocab_eos(self._vocab)), special=True)
        self._chat: ChatFormat | None
        try:
            self._chat = chat_format(spec.prompt_format, template=template, bos_token=bos, eos_token=eos)
        except InvalidRequest:
            self._chat = None
        self._info = ModelInfo(
            id=spec.id,
            backend="llama.cpp",
            path=path,
            sha256=spec.sha256,
            n_ctx=self._n_ctx,
            n_embd=self._n_embd,
            n_vocab=self._n_vocab,
            threads=self._threads,
            capabilities=("generate", "chat", "score", "embed", "grammar", "json_schema", "prefix_cache"),
            adapters=tuple(adapter for adapter, _ in adapters),
        )
        self._owner: tuple[int, int] | None = None
        self._closed = False

    # -- setup helpers ----------------------------------------------------------------------------

    def _context_params(self, n_ctx: int, n_batch: int, n_seq_max: int) -> Any:
        p = llama_cpp.llama_context_default_params()
        p.n_ctx = n_ctx
        p.n_batch = n_batch
        p.n_ubatch = n_batch
        p.n_seq_max = n_seq_max
        p.n_threads = self._threads
        p.n_threads_batch = self._threads
        p.kv_unified = True
        p.embeddings = False
        p.no_perf = True
        p.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        return p

    def _metadata(self) -> dict[str, str]:
        out: dict[str, str] = {}
        buf = ctypes.create_string_buffer(1 << 16)
        for i in range(llama_cpp.llama_model_meta_count(self._model)):
            n = llama_cpp.llama_model_meta_key_by_index(self._model, i, buf, len(buf))
            if n < 0:
                continue
            key = buf.value.decode("utf-8", "replace")
            n = llama_cpp.llama_model_meta_val_str_by_index(self._model, i, buf, len(buf))
            if n < 0 or n >= len(buf):
                continue
            out[key] = buf.value.decode("utf-8", "replace")
        return out

    @property
    def info(self) -> ModelInfo:
        return self._info

    # -- tokens -----------------------------------------------------------------------------------

    def tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 8
        buf = (llama_cpp.llama_token * cap)()
        n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, cap, add_bos, special)
        if n < 0:
            cap = -n
            buf = (llama_cpp.llama_token * cap)()
            n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, cap, add_bos, special)
            if n < 0:
                raise InvalidRequest("the text could not be tokenised")
        return list(buf[:n])

    def _is_eog(self, token: int) -> bool:
        """Whether ``token`` ends a generation (end of sequence, of turn, ...)."""
        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def _eog(self) -> npt.NDArray[np.int64]:
        """Every token that ends a generation, in order. Finding them asks llama.cpp about each token
        of the vocabulary (about 0.1 s of CPU for gemma-3's 262,144), so the list is built when a
        constrained pick first needs it, not at load: a process that embeds, or generates only
        among fixed choices, never pays for it."""
        if self._eog_ids is None:
            self._eog_ids = np.array([t for t in range(self._n_vocab) if self._is_eog(t)], dtype=np.int64)
        return self._eog_ids

    def _piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            buf = ctypes.create_string_buffer(64)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
            piece = buf.raw[: max(n, 0)]
            self._pieces[token] = piece
        return piece

    def _piece_text(self, token: int, *, special: bool) -> str:
        if token < 0:
            return ""
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, special)
        return buf.raw[: max(n, 0)].decode("utf-8", "replace")

    def _segments_tokens(self, segments: Sequence[Segment]) -> list[int]:
        tokens: list[int] = []
        for seg in segments:
            if seg.text:
                tokens += self.tokenize(seg.text, add_bos=self._add_bos and not tokens, special=seg.special)
        if not tokens and self._add_bos:
            tokens = [int(llama_cpp.llama_vocab_bos(self._vocab))]
        return tokens

    def _split_prompt(self, prefix: str, prompt: str, special: bool) -> tuple[list[int], list[int]]:
        pre = self.tokenize(prefix, add_bos=self._add_bos, special=special) if prefix else []
        body = self.tokenize(prompt, add_bos=self._add_bos and not pre, special=special) if prompt else []
        return pre, body

    # -- engine primitives ------------------------------------------------------------------------

    def _decode(
        self, batch: _Batch, *, keep: int | None = None, owner: tuple[int, int] | None = None
    ) -> None:
        """Run a batch. ``owner`` = (seq, n_past) names whose logits the context now holds. The
        adapter of the batch's sequence (all tokens of a batch belong to one request) is applied."""
        self._owner = None
        if batch.n:
            self._apply_adapter(self._seq_adapter.get(int(batch.raw.seq_id[0][0])))
        single = batch.n == 1
        threads = self._thread_choice.next_measured() if single else self._thread_choice.best()
        if threads != self._ctx_threads:
            llama_cpp.llama_set_n_threads(self._ctx, threads, threads)
            self._ctx_threads = threads
        started = time.perf_counter()
        rc = llama_cpp.llama_decode(self._ctx, batch.raw)
        if single and rc == 0:
            self._thread_choice.record(threads, (time.perf_counter() - started) * 1000.0)
        if rc == 1:
            # No free cells: drop cached prefixes (not the one this request is copying) and retry once.
            self._evict_slots(keep)
            rc = llama_cpp.llama_decode(self._ctx, batch.raw)
            if rc == 1:
                raise ContextOverflow(
                    f"the KV cache ({self._n_ctx} tokens, shared by the running requests) is full; "
                    "shorten the prompt or max_tokens, or raise n_ctx"
                )
        if rc != 0:
            raise BackendFailure(f"llama_decode failed with code {rc} ({_recent_errors() or 'no detail'})")
        self._owner = owner

    def _apply_adapter(self, name: str | None) -> None:
        if name == self._applied:
            return
        if name is None:
            rc = llama_cpp.llama_set_adapters_lora(self._ctx, None, 0, None)
        else:
            handles = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._adapters[name])
            scales = (ctypes.c_float * 1)(1.0)
            rc = llama_cpp.llama_set_adapters_lora(self._ctx, handles, 1, scales)
        if rc != 0:
            raise BackendFailure(f"llama.cpp could not switch to adapter {name!r} (code {rc})")
        self._applied = name

    def _check_adapter(self, name: str | None) -> None:
        if name is not None and name not in self._adapters:
            loaded = ", ".join(sorted(self._adapters)) or "none"
            raise InvalidRequest(
                f"adapter {name!r} is not loaded for model {self._spec.id!r}; loaded: {loaded}"
            )

    def _ensure_logits(self, seq: int, n_past: int, last_token: int) -> None:
        """Make the context's logits those of ``seq`` at ``n_past`` again (after another request ran)."""
        if self._owner == (seq, n_past):
            return
        llama_cpp.llama_memory_seq_rm(self._mem, seq, n_past - 1, -1)
        self._batch.clear()
        self._batch.add(last_token, n_past - 1, seq, True)
        self._decode(self._batch, owner=(seq, n_past))

    def _logits(self, index: int) -> npt.NDArray[np.float32]:
        ptr = llama_cpp.llama_get_logits_ith(self._ctx, index)
        if not ptr:
            raise BackendFailure("llama.cpp returned no logits for the last token")
        return np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))

    def _seq_rm(self, seq: int) -> None:
        llama_cpp.llama_memory_seq_rm(self._mem, seq, -1, -1)

    def _evict_slots(self, keep: int | None) -> None:
        for key, slot in list(self._slots.items()):
            if slot.seq == keep:
                continue
            self._seq_rm(slot.seq)
            self._free_slot_seqs.append(slot.seq)
            del self._slots[key]
        for adapter, recent in list(self._recent.items()):
            if recent.seq == keep:
                continue
            self._seq_rm(recent.seq)
            self._free_recent.append(recent.seq)
            del self._recent[adapter]

    def _remember(self, seq: int, tokens: list[int], adapter: str | None) -> None:
        """Keep the cells of ``tokens`` (evaluated at positions 0.. of ``seq``) for the next request
        under ``adapter`` that starts with them; replaces that adapter's previous entry."""
        if not tokens or len(tokens) > _RECENT_MAX_TOKENS:
            return
        old = self._recent.pop(adapter, None)
        if old is not None:
            target = old.seq
        elif self._free_recent:
            target = self._free_recent.pop()
        else:
            _, lru = self._recent.popitem(last=False)
            target = lru.seq
        self._seq_rm(target)
        llama_cpp.llama_memory_seq_cp(self._mem, seq, target, 0, len(tokens))
        self._seq_adapter[target] = adapter
        self._recent[adapter] = _Recent(seq=target, tokens=tokens)

    def _feed(self, tokens: Sequence[int], seq: int, pos: int, *, keep: int | None = None) -> Iterator[str]:
        """Evaluate ``tokens`` at ``pos`` in ``seq``, one batch per step; logits on the last token."""
        for start in range(0, len(tokens), self._n_batch):
            chunk = tokens[start : start + self._n_batch]
            last = start + len(chunk) == len(tokens)
            self._batch.clear()
            for i, tok in enumerate(chunk):
                self._batch.add(tok, pos + start + i, seq, last and i == len(chunk) - 1)
            self._decode(self._batch, keep=keep, owner=(seq, pos + len(tokens)) if last else None)
            if not last:
                yield ""

    def _slot_for(self, prefix: list[int], adapter: str | None = None) -> Iterator[str]:
        """Make sure ``prefix`` is evaluated in a prefix slot (generator; the slot is in ``_slots``),
        under ``adapter`` (a prefix's cached state differs with the adapter)."""
        key = (adapter, tuple(prefix))
        if key in self._slots:
            self._slots.move_to_end(key)
            return
        if not self._free_slot_seqs:
            _, old = self._slots.popitem(last=False)
            self._seq_rm(old.seq)
            self._free_slot_seqs.append(old.seq)
        seq = self._free_slot_seqs.pop()
        self._seq_adapter[seq] = adapter
        done = False
        try:
            self._seq_rm(seq)
            for start in range(0, len(prefix), self._n_batch):
                chunk = prefix[start : start + self._n_batch]
                self._batch.clear()
                for i, tok in enumerate(chunk):
                    self._batch.add(tok, start + i, seq, False)
                self._decode(self._batch, keep=seq)
                yield ""
            if key in self._slots:
                # Another request filled the same prefix while this one was parked; keep theirs.
                self._slots.move_to_end(key)
            else:
                self._slots[key] = _Slot(seq=seq, n_tokens=len(prefix))
                done = True
        finally:
            if not done:
                self._seq_rm(seq)
                self._free_slot_seqs.append(seq)

    def _check_fits(self, n_tokens: int) -> None:
        if n_tokens >= self._n_ctx:
            raise ContextOverflow(
                f"the prompt has {n_tokens} tokens but the context holds {self._n_ctx} "
                "(including at least one generated token); shorten the prompt or prefix, or raise n_ctx"
            )

    def _start(
        self,
        seq: int,
        prefix: list[int],
        body: list[int],
        adapter: str | None = None,
        ahead: Sequence[int] = (),
    ) -> Step[int]:
        """Evaluate prefix (reused from a slot) and body into ``seq`` under ``adapter``; returns the
        reused token count. The leading tokens that the last finished request under ``adapter``
        evaluated too are reused instead when they are more than the prefix (at least one token is
        always evaluated, for the logits). ``ahead``: output tokens taken without a choice (what a
        JSON schema forces at the start), evaluated after the prompt in the same batch."""
        full = prefix + body
        self._check_fits(len(full) + len(ahead))
        self._seq_adapter[seq] = adapter
        self._seq_rm(seq)
        cached = 0
        source: int | None = None
        if prefix:
            yield from self._slot_for(prefix, adapter)
            slot = self._slots[(adapter, tuple(prefix))]
            cached = len(prefix) if body else len(prefix) - 1
            source = slot.seq
        recent = self._recent.get(adapter)
        if recent is not None:
            shared = min(_common_prefix(recent.tokens, full), len(full) - 1)
            if shared > cached:
                cached, source = shared, recent.seq
                self._recent.move_to_end(adapter)
        if cached > 0 and source is not None:
            llama_cpp.llama_memory_seq_cp(self._mem, source, seq, 0, cached)
        yield from self._feed([*full[cached:], *ahead], seq, cached, keep=source)
        return cached

    # -- generation -------------------------------------------------------------------------------

    def complete(self, request: CompletionRequest) -> Step[Completion]:
        self._check_adapter(request.adapter)
        pre, body = self._split_prompt(request.prefix, request.prompt, request.special)
        return (
            yield from self._generate(
                pre, body, request.sampling, request.grammar, request.json_schema, (), request.adapter
            )
        )

    def chat(self, request: ChatRequest) -> Step[Completion]:
        if request.has_images:
            raise CapabilityNotSupported(
                f"model {self._spec.id!r} is a text model and cannot read images; register a vision model "
                "(kind: vision with an mmproj file) to send images"
            )
        if self._chat is None:
            raise InvalidRequest(
                f"model {self._spec.id!r} has no chat template; "
                "set prompt_format or chat_template in the models config"
            )
        full = self._segments_tokens(self._chat.render(request.messages, add_generation_prompt=True))
        pre: list[int] = []
        body = full
        if request.prefix_messages:
            head = self._segments_tokens(
                self._chat.render(request.messages[: request.prefix_messages], add_generation_prompt=False)
            )
            if full[: len(head)] == head:
                pre, body = head, full[len(head) :]
        return (
            yield from self._generate(
                pre, body, request.sampling, request.grammar, request.json_schema, self._chat.stop
            )
        )

    def _generate(
        self,
        pre: list[int],
        body: list[int],
        sampling: Sampling,
        grammar: str | None,
        json_schema: dict[str, Any] | None,
        extra_stops: tuple[str, ...],
        adapter: str | None = None,
    ) -> Step[Completion]:
        started = time.perf_counter()
        choices = literal_choices(grammar) if grammar is not None else None
        gbnf = schema_to_grammar(json_schema) if json_schema is not None else (None if choices else grammar)
        constraint = _Grammar(self._vocab, gbnf) if gbnf is not None else None
        trie = (
            _Choices(choices, [self.tokenize(c, add_bos=False, special=False) for c in choices])
            if choices
            else None
        )
        layout = JsonLayout(json_schema) if json_schema is not None else None
        seq = self._free_work.pop()
        try:
            run = _Run(
                seq=seq,
                n_past=len(pre) + len(body),
                prompt_len=len(pre) + len(body),
                evaluated=pre + body,
                picker=_Picker(sampling),
                out=_TextOut(tuple(sampling.stop) + extra_stops),
                max_tokens=sampling.max_tokens,
                json_output=json_schema is not None,
            )
            # What the schema forces at the start (`{"` and the first key where there is one) is
            # evaluated with the prompt.
            ahead, text, done = self._take_forecast(run, constraint, layout, [])
            cached = yield from self._start(seq, pre, body, adapter, ahead)
            prefill_done = time.perf_counter()
            run.n_past += len(ahead)
            run.evaluated += ahead
            if text:
                yield text
            if trie is not None:
                yield from self._decode_choices(run, trie)
            elif not done:
                yield from self._decode_tokens(run, constraint, layout)
            tail = run.out.flush()
            if tail:
                yield tail
            finished = time.perf_counter()
            self._remember(seq, run.evaluated, adapter)
        finally:
            if constraint is not None:
                constraint.close()
            self._seq_rm(seq)
            self._free_work.append(seq)
        data: Any = None
        if json_schema is not None:
            data = self._parse_json(run.out.text, run.finish)
        return Completion(
            text=run.out.text,
            finish_reason=run.finish,
            model=self._spec.id,
            prompt_tokens=len(pre) + len(body),
            cached_tokens=cached,
            completion_tokens=run.generated,
            data=data,
            timings=Timings(
                prefill_ms=(prefill_done - started) * 1000.0,
                decode_ms=(finished - prefill_done) * 1000.0,
                total_ms=(finished - started) * 1000.0,
            ),
        )

    def _decode_choices(self, run: _Run, trie: _Choices) -> Iterator[str]:
        """Decode over the token trie of a choice grammar's literals. A chosen token is evaluated in
        one batch with the tokens every label left continues with (they need no choice)."""
        seq, picker, out = run.seq, run.picker, run.out
        pending: list[int] = []  # chosen or shared tokens, not evaluated yet
        while run.generated < run.max_tokens:
            only = trie.finished()
            if only is not None:
                rest = trie.seqs[only][trie.depth :]
                text, stopped = out.feed(b"".join(self._piece(t) for t in rest))
                run.generated += len(rest)
                run.finish = "stop" if stopped else "eos"
                if text:
                    yield text
                return
            forced = trie.forced(run.max_tokens - run.generated)
            if forced:
                for token in forced:
                    picker.accept(token)
                run.generated += len(forced)
                text, stopped = out.feed(b"".join(self._piece(t) for t in forced))
                if text:
                    yield text
                if stopped:
                    run.finish = "stop"
                    return
                if trie.finished() is not None or run.generated >= run.max_tokens:
                    continue
                pending += forced
            if pending:
                if run.n_past + len(pending) >= self._n_ctx:
                    return
                yield from self._feed(pending, seq, run.n_past)
                run.n_past += len(pending)
                run.evaluated += pending
                pending = []
            self._ensure_logits(seq, run.n_past, run.evaluated[-1])
            logits = picker.adjust(self._logits(-1))
            options, complete = trie.options()
            allowed = np.array(options + ([int(t) for t in self._eog()] if complete else []), dtype=np.int64)
            token = picker.pick(logits, allowed)
            if self._is_eog(token):
                run.finish = "eos"
                return
            trie.advance(token)
            picker.accept(token)
            run.generated += 1
            text, stopped = out.feed(self._piece(token))
            if stopped:
                run.finish = "stop"
                if text:
                    yield text
                return
            if run.generated >= run.max_tokens:
                if text:
                    yield text
                return
            # Evaluated with what the labels left share after it, unless one label is left (the rest
            # of it is then known without running the model again).
            pending = [token]
            yield text

    def _decode_tokens(
        self, run: _Run, constraint: _Grammar | None, layout: JsonLayout | None
    ) -> Iterator[str]:
        """Decode token by token (free, or under a grammar); under a JSON schema, what the schema
        forces after a chosen token is taken without a choice and evaluated in its batch."""
        seq, picker = run.seq, run.picker
        while run.generated < run.max_tokens:
            if run.n_past >= self._n_ctx:
                break
            self._ensure_logits(seq, run.n_past, run.evaluated[-1])
            logits = picker.adjust(self._logits(-1))
            token = picker.pick(logits)
            if constraint is not None and not constraint.allowed(np.array([token], dtype=np.int64))[0]:
                token = self._constrained_pick(logits, picker, constraint)
            if self._is_eog(token):
                run.finish = "eos"
                break
            text, done = self._take(run, constraint, token)
            if done:
                if text:
                    yield text
                break
            forced, more, done = self._take_forecast(run, constraint, layout, [token])
            text += more
            if done:
                if text:
                    yield text
                break
            batch = [token, *forced]
            if run.n_past + len(batch) > self._n_ctx:
                break
            yield from self._feed(batch, seq, run.n_past)
            run.n_past += len(batch)
            run.evaluated += batch
            yield text

    def _take(self, run: _Run, constraint: _Grammar | None, token: int) -> tuple[str, bool]:
        """Append ``token`` to the output; returns its text and whether the output is complete."""
        if constraint is not None:
            constraint.accept(token)
        run.picker.accept(token)
        run.generated += 1
        text, stopped = run.out.feed(self._piece(token))
        if stopped:
            run.finish = "stop"
            return text, True
        if run.json_output and _json_complete(run.out.text):
            # Only whitespace may follow a closed object or array: the value is known without
            # another model evaluation.
            run.finish = "eos"
            return text, True
        return text, run.generated >= run.max_tokens

    def _take_forecast(
        self, run: _Run, constraint: _Grammar | None, layout: JsonLayout | None, pending: list[int]
    ) -> tuple[list[int], str, bool]:
        """Take what the schema forces after the output so far (``pending``: its tokens not yet in
        ``run.evaluated``) without asking the model: the forced text, tokenised as the whole output
        is (`_forecast`), each token checked by the grammar. Returns the tokens taken, their text and
        whether the output is complete."""
        if layout is None:
            return [], "", False
        layout.feed(run.out.text[run.layout_fed :])
        run.layout_fed = len(run.out.text)
        forced = self._forecast(layout, [*run.evaluated[run.prompt_len :], *pending], run.out.text)
        taken: list[int] = []
        text = ""
        for token in forced:
            if self._is_eog(token) or (
                constraint is not None and not constraint.allowed(np.array([token], dtype=np.int64))[0]
            ):
                break
            piece, done = self._take(run, constraint, token)
            taken.append(token)
            text += piece
            if done:
                return taken, text, True
        return taken, text, False

    def _forecast(self, layout: JsonLayout, written: list[int], text: str) -> list[int]:
        """The tokens of what the schema forces after ``written`` (the output's tokens so far, whose
        text is ``text``), as the model writes them: the tokens the whole output has, after
        ``written``, however it goes on. A token that may merge with what follows (` ` before `-1`
        is ` -`, `{` before `}` is `{}`) is left for the model to choose: a token the model never
        saw there would change its answer. ``[]`` where nothing is forced, or the output so far is
        not tokenised as a whole would be."""
        forced, following = layout.forced(_FORECAST_CHARS)
        if not forced:
            return []
        common: list[int] | None = None
        for ch in sorted(following):
            whole = self.tokenize(text + forced + ch, add_bos=False, special=False)
            if whole[: len(written)] != written:
                return []
            rest = whole[len(written) :]
            common = rest if common is None else common[: _common_prefix(common, rest)]
        return (common or [])[:_FORECAST_TOKENS]

    def _constrained_pick(self, logits: npt.NDArray[np.float32], picker: _Picker, grammar: _Grammar) -> int:
        k = min(_TOP_CANDIDATES, self._n_vocab)
        top = np.argpartition(-logits, k - 1)[:k].astype(np.int64)
        cand = np.unique(np.concatenate((top, self._eog())))
        ok = grammar.allowed(cand)
        if not ok.any():
            cand = np.arange(self._n_vocab, dtype=np.int64)
            ok = grammar.allowed(cand)
            if not ok.any():
                raise GrammarError(
                    "the grammar allows no token at this point of the output (a dead end in the grammar)"
                )
        return picker.pick(logits, cand[ok])

    @staticmethod
    def _parse_json(text: str, finish: str) -> Any:
        if finish == "length":
            raise OutputTruncated(
                "the JSON output reached max_tokens before it was complete; raise max_tokens for this schema"
            )
        try:
            return json.loads(text)
        except ValueError as exc:
            if finish == "stop":
                raise OutputTruncated(f"a stop sequence cut the JSON output: {text!r}") from exc
            raise BackendFailure(f"constrained output is not valid JSON ({exc}): {text!r}") from exc

    # -- scoring ----------------------------------------------------------------------------------

    def score(self, request: ScoreRequest) -> Step[ScoreResult]:
        started = time.perf_counter()
        pre, body = self._split_prompt(request.prefix, request.prompt, False)
        options = [self.tokenize(o, add_bos=False, special=False) for o in request.options]
        for text, toks in zip(request.options, options, strict=True):
            if not toks:
                raise InvalidRequest(f"score option {text!r} has no tokens")
        n_prompt = len(pre) + len(body)
        self._check_fits(n_prompt + max(len(t) for t in options))
        seq = self._free_work.pop()
        try:
            cached = yield from self._start(seq, pre, body)
            prefill_done = time.perf_counter()
            first = self._logits(-1).copy()
            totals = [_log_softmax_at(first, toks[0]) for toks in options]
            pending = [i for i, toks in enumerate(options) if len(toks) > 1]
            while pending:
                group: list[int] = []
                budget = self._n_batch
                while pending and len(group) < len(self._lanes) and len(options[pending[0]]) - 1 <= budget:
                    idx = pending.pop(0)
                    group.append(idx)
                    budget -= len(options[idx]) - 1
                if not group:
                    raise ContextOverflow("a score option is longer than one batch; shorten the options")
                self._batch.clear()
                rows: list[tuple[int, int, int]] = []
                for lane, idx in zip(self._lanes, group, strict=False):
                    self._seq_rm(lane)
                    llama_cpp.llama_memory_seq_cp(self._mem, seq, lane, 0, n_prompt)
                    toks = options[idx]
                    for j, tok in enumerate(toks[:-1]):
                        b = self._batch.add(tok, n_prompt + j, lane, True)
                        rows.append((b, idx, toks[j + 1]))
                try:
                    self._decode(self._batch)
                    for b, idx, nxt in rows:
                        totals[idx] += _log_softmax_at(self._logits(b), nxt)
                finally:
                    for lane in self._lanes[: len(group)]:
                        self._seq_rm(lane)
                yield ""
        finally:
            self._seq_rm(seq)
            self._free_work.append(seq)
        finished = time.perf_counter()
        arr = np.array(totals, dtype=np.float64)
        probs = np.exp(arr - arr.max())
        probs /= probs.sum()
        best = int(np.argmax(arr))
        return ScoreResult(
            options=tuple(
                OptionScore(
                    text=text,
                    logprob=float(total),
                    tokens=len(toks),
                    mean_logprob=float(total) / len(toks),
                    probability=float(p),
                )
                for text, toks, total, p in zip(request.options, options, totals, probs, strict=True)
            ),
            best=request.options[best],
            best_index=best,
            model=self._spec.id,
            prompt_tokens=n_prompt,
            cached_tokens=cached,
            timings=Timings(
                prefill_ms=(prefill_done - started) * 1000.0,
                decode_ms=(finished - prefill_done) * 1000.0,
                total_ms=(finished - started) * 1000.0,
            ),
        )

    def prepare_prefix(self, prefix: str) -> Step[int]:
        tokens = self.tokenize(prefix, add_bos=self._add_bos, special=False)
        self._check_fits(len(tokens))
        yield from self._slot_for(tokens)
        return len(tokens)

    # -- embeddings -------------------------------------------------------------------------------

    def _embed_context(self) -> None:
        if self._ectx is not None:
            return
        if self._lean and self._ggml is None:
            try:
                self._ggml = _Ggml()
            except OSError as exc:
                _log.warning("lean embedding path unavailable (%s); using llama.cpp's pooled embeddings", exc)
                self._lean = False
        max_tokens, n_batch = self._embed_cfg
        # The pooled fallback cannot split a text across batches, so its batch holds a whole text.
        batch = min(n_batch, max_tokens) if self._lean else max_tokens
        p = self._context_params(max_tokens, batch, self._e_nseq)
        if self._lean:
            p.cb_eval = self._make_eval_callback()
        else:
            p.embeddings = True
            p.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        ctx = llama_cpp.llama_init_from_model(self._model, p)
        if not ctx:
            raise BackendFailure(f"llama.cpp could not create the embedding context ({_recent_errors()})")
        self._ectx = ctx
        self._ectx_threads = self._threads
        self._emem = llama_cpp.llama_get_memory(ctx)
        self._ebatch = _Batch(batch, self._e_nseq)

    def _make_eval_callback(self) -> Any:
        ggml = self._ggml
        assert ggml is not None
        n_embd = self._n_embd
        captured = self._captured

        def on_eval(tensor: int, ask: bool, user_data: int) -> bool:
            if ggml.get_name(tensor) != b"result_norm":
                return not ask
            if ask:
                return True
            n = int(ggml.nelements(tensor))
            if n % n_embd or not ggml.is_contiguous(tensor):
                return True
            rows = np.ctypeslib.as_array(ggml.data_f32(tensor), shape=(n,)).reshape(-1, n_embd)
            captured.append(rows.copy())
            # Everything after the final norm is the vocabulary projection: stop the graph here.
            return False

        self._eval_cb = llama_cpp.ggml_backend_sched_eval_callback(on_eval)
        return self._eval_cb

    def _switch_to_pooled(self) -> None:
        _log.warning(
            "this llama.cpp build hides the final hidden states; using its pooled embeddings instead"
        )
        self._free_embed_context()
        self._lean = False
        self._embed_context()

    def _free_embed_context(self) -> None:
        if self._ebatch is not None:
            self._ebatch.close()
            self._ebatch = None
        if self._ectx is not None:
            llama_cpp.llama_free(self._ectx)
            self._ectx = None

    def embed(self, texts: Sequence[str]) -> Step[Embeddings]:
        self._embed_context()
        max_tokens = self._embed_cfg[0]
        toks = [self.tokenize(t, add_bos=self._add_bos, special=False) for t in texts]
        for text, t in zip(texts, toks, strict=True):
            if len(t) > max_tokens:
                raise ContextOverflow(
                    f"a text to embed has {len(t)} tokens, more than embed_max_tokens={max_tokens}: "
                    f"{text[:60]!r}...; split it or raise embed_max_tokens"
                )
            if not t:
                raise InvalidRequest("cannot embed an empty text")
        out = np.zeros((len(texts), self._n_embd), dtype=np.float32)
        assert self._ebatch is not None
        cap = self._ebatch.capacity
        i = 0
        while i < len(toks):
            if len(toks[i]) > cap:
                out[i] = self._embed_long(toks[i])
                i += 1
            else:
                group = [i]
                used = len(toks[i])
                i += 1
                while i < len(toks) and len(group) < self._e_nseq and used + len(toks[i]) <= cap:
                    group.append(i)
                    used += len(toks[i])
                    i += 1
                for row, vec in zip(group, self._embed_pack([toks[g] for g in group]), strict=True):
                    out[row] = vec
            yield ""
        return out

    def _embed_decode(self) -> None:
        assert self._ebatch is not None
        self._captured.clear()
        threads = self._embed_threads.next_measured()
        if threads != self._ectx_threads:
            llama_cpp.llama_set_n_threads(self._ectx, threads, threads)
            self._ectx_threads = threads
        started = time.perf_counter()
        rc = llama_cpp.llama_decode(self._ectx, self._ebatch.raw)
        if rc == 0 and self._ebatch.n:
            # Per token: the texts of one batch differ in length.
            self._embed_threads.record(threads, (time.perf_counter() - started) * 1000.0 / self._ebatch.n)
        if rc != 0:
            raise BackendFailure(f"llama_decode (embeddings) failed with code {rc} ({_recent_errors()})")

    def _embed_pack(self, group: list[list[int]]) -> list[npt.NDArray[np.float32]]:
        batch = self._ebatch
        assert batch is not None
        llama_cpp.llama_memory_clear(self._emem, False)
        batch.clear()
        for s, toks in enumerate(group):
            for pos, tok in enumerate(toks):
                batch.add(tok, pos, s, True)
        self._embed_decode()
        if self._lean and not self._captured:
            self._switch_to_pooled()
            return self._embed_pack(group)
        if not self._lean:
            return [self._pooled(s) for s in range(len(group))]
        rows = self._take_rows(batch.n)
        out = []
        start = 0
        for toks in group:
            out.append(rows[start : start + len(toks)].mean(axis=0, dtype=np.float64).astype(np.float32))
            start += len(toks)
        return out

    def _embed_long(self, toks: list[int]) -> npt.NDArray[np.float32]:
        batch = self._ebatch
        assert batch is not None
        llama_cpp.llama_memory_clear(self._emem, False)
        total = np.zeros(self._n_embd, dtype=np.float64)
        for start in range(0, len(toks), batch.capacity):
            chunk = toks[start : start + batch.capacity]
            batch.clear()
            for j, tok in enumerate(chunk):
                batch.add(tok, start + j, 0, True)
            self._embed_decode()
            total += self._take_rows(len(chunk)).sum(axis=0, dtype=np.float64)
        return (total / len(toks)).astype(np.float32)

    def _take_rows(self, n: int) -> npt.NDArray[np.float32]:
        if len(self._captured) != 1 or self._captured[0].shape[0] != n:
            self._captured.clear()
            raise BackendFailure(
                "the embedding graph did not expose its final hidden states (result_norm); "
                "this llama.cpp build is not supported by the lean embedding path"
            )
        return self._captured.pop()

    def _pooled(self, seq: int) -> npt.NDArray[np.float32]:
        ptr = llama_cpp.llama_get_embeddings_seq(self._ectx, seq)
        if not ptr:
            raise BackendFailure("llama.cpp returned no pooled embedding")
        return np.ctypeslib.as_array(ptr, shape=(self._n_embd,)).copy()

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._batch.close()
        self._free_embed_context()
        llama_cpp.llama_free(self._ctx)
        for handle in self._adapters.values():
            llama_cpp.llama_adapter_lora_free(handle)
        self._adapters.clear()
        llama_cpp.llama_model_free(self._model)
