"""Runtime benchmark: the ``runtime`` section of ``cabin bench``.

Everything is measured after warm-up, as medians of several runs, on this machine:

* decode and prefill throughput and time to first token through :class:`ModelRuntime` (streaming,
  scheduler included), and the same figures for bare llama-cpp-python on the same GGUF and thread
  count, measured alternately in the same run; ``decode_ratio`` = runtime / bare;
* a constrained classification call: a 5-label grammar after a ~300-token static prefix that is
  reused, plus the same labels through the general grammar sampler for comparison;
* ``score`` of the five labels, and ``embed`` of distinct (uncached) 12-word utterances, with bare
  llama-cpp-python's own ``embed`` for comparison;
* ``peak_rss_mb``: the process's peak resident memory while only the runtime was loaded (before
  the bare comparison models were loaded).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import sys
import time
from typing import Any

from models.config import RuntimeConfig
from models.grammar import choice_grammar
from models.registry import ModelRegistry
from models.runtime import ModelRuntime, Prefix
from models.types import Priority

__all__ = ["bench_runtime", "main"]

LABELS = ("navigation", "vehicle", "perception", "media", "none")

_INSTRUCTIONS = """You route requests spoken in a car to the part of the assistant that handles them.
Answer with exactly one label.
navigation: routes, destinations, traffic, charging stations, points of interest, arrival times.
vehicle: windows, doors, locks, seats, climate, lights, mirrors, trunk, sunroof, wipers, driving modes.
perception: what the cameras see: signs, cyclists, pedestrians, lanes, parking spaces, obstacles.
media: music, radio, podcasts, volume, calls and messages.
none: anything else, such as jokes, trivia, weather chit-chat or requests the car cannot do.

"""

_EXAMPLES = [
    ("take me to the nearest fast charger", "navigation"),
    ("how long until we arrive at the office", "navigation"),
    ("avoid the motorway on the way home", "navigation"),
    ("open the rear left window halfway", "vehicle"),
    ("set the driver side to twenty two degrees", "vehicle"),
    ("turn on the seat heating for the passenger", "vehicle"),
    ("lock all the doors please", "vehicle"),
    ("what did that speed limit sign say", "perception"),
    ("is there a cyclist on my right", "perception"),
    ("are there free parking spaces ahead", "perception"),
    ("play some jazz from my library", "media"),
    ("turn the volume down a little", "media"),
    ("call my sister on speaker", "media"),
    ("tell me a joke about robots", "none"),
    ("who won the world cup in two thousand ten", "none"),
    ("what is the meaning of life", "none"),
]

PROMPT_PREFIX = _INSTRUCTIONS + "".join(f"Request: {u}\nLabel: {label}\n\n" for u, label in _EXAMPLES)

UTTERANCES = [
    "please navigate to the central station and avoid any toll roads today",
    "could you open the sunroof a little bit while we are parked here",
    "what does the yellow sign on the right side of the road say",
    "skip this song and play something more relaxing from the nineties playlist",
    "tell me something interesting about the history of the city we are in",
    "find a restaurant near our destination that is open after ten tonight",
    "make it two degrees warmer on the passenger side of the car please",
    "is the pedestrian at the crossing ahead waiting for us to pass by",
    "read my latest message from the team and then call my brother back",
    "how many kilometres can we still drive before the battery is completely empty",
    "turn off the rear window defroster and switch the headlights to automatic mode",
    "what is the capital city of australia and how many people live there",
]

_DECODE_PROMPT = (
    "The history of the automobile begins in the late nineteenth century, when engineers in Germany and "
    "France built the first practical motor carriages. Over the following decades, mass production, "
    "better roads and cheaper fuel turned the car from a luxury into an everyday tool. Today the car is "
    "changing again, as electric drive, driver assistance and software reshape what a vehicle can do. "
    "In this article we look at"
)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / (1024.0 * 1024.0)


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _words(text: str, n: int, salt: int) -> str:
    words = text.split()
    return " ".join(words[:n]) if salt == 0 else " ".join([*words[: n - 1], f"r{salt}"])


async def _runtime_stream(runtime: ModelRuntime, prompt: str, tokens: int) -> tuple[float, float, int, int]:
    """(ttft s, decode s after the first token, generated tokens, prompt tokens) for one run."""
    started = time.perf_counter()
    first: float | None = None
    stream = runtime.stream(prompt, max_tokens=tokens, priority=Priority.DRIVER)
    async for _ in stream:
        if first is None:
            first = time.perf_counter()
    done = time.perf_counter()
    assert stream.result is not None and first is not None
    return first - started, done - first, stream.result.completion_tokens, stream.result.prompt_tokens


def _bare_stream(llm: Any, prompt: str, tokens: int) -> tuple[float, float, int, int]:
    toks = llm.tokenize(prompt.encode("utf-8"))
    llm.reset()
    started = time.perf_counter()
    first: float | None = None
    n = 0
    for token in llm.generate(toks, temp=0.0, reset=True):
        if first is None:
            first = time.perf_counter()
        if llm.token_eos() == token:
            break
        n += 1
        if n >= tokens:
            break
    done = time.perf_counter()
    assert first is not None
    return first - started, done - first, n, len(toks)


def _throughput(runs: list[tuple[float, float, int, int]]) -> dict[str, float]:
    return {
        "decode_tok_s": _median([(n - 1) / d for _, d, n, _ in runs if n > 1 and d > 0]),
        "prefill_tok_s": _median([p / t for t, _, _, p in runs]),
        "ttft_ms": _median([t * 1000.0 for t, _, _, _ in runs]),
    }


async def _runtime_phase(runtime: ModelRuntime, repeats: int, utterances: list[str]) -> dict[str, Any]:
    grammar = choice_grammar([f" {label}" for label in LABELS])
    general = "root ::= label\nlabel ::= " + " | ".join(f'" {label}"' for label in LABELS) + "\n"
    prefix: Prefix = await runtime.prefix(PROMPT_PREFIX, priority=Priority.DRIVER)
    out: dict[str, Any] = {"prefix_tokens": prefix.tokens}

    async def constrained(utterance: str, g: str) -> tuple[float, str]:
        started = time.perf_counter()
        # The labels carry their leading space: the tokenizer joins a space to the following word.
        result = await runtime.generate(
            f"Request: {utterance}\nLabel:", prefix=prefix, grammar=g, max_tokens=8, priority=Priority.DRIVER
        )
        return (time.perf_counter() - started) * 1000.0, result.text.strip()

    await constrained(utterances[0], grammar)
    times: list[float] = []
    labels: list[str] = []
    for _ in range(repeats):
        for u in utterances:
            ms, label = await constrained(u, grammar)
            times.append(ms)
            labels.append(label)
    out["constrained_ms"] = _median(times)
    out["constrained_p90_ms"] = float(sorted(times)[int(0.9 * (len(times) - 1))])
    out["constrained_labels"] = labels[: len(utterances)]

    general_times = [(await constrained(u, general))[0] for u in utterances[: max(3, repeats)]]
    out["constrained_general_grammar_ms"] = _median(general_times)

    score_times = []
    for u in utterances[:6]:
        started = time.perf_counter()
        await runtime.score(
            f"Request: {u}\nLabel:",
            [f" {label}" for label in LABELS],
            prefix=prefix,
            priority=Priority.DRIVER,
        )
        score_times.append((time.perf_counter() - started) * 1000.0)
    out["score_ms"] = _median(score_times[1:] or score_times)

    runtime.clear_embedding_cache()
    await runtime.embed([utterances[0]])
    embed_times = []
    seen: list[str] = []
    for r in range(repeats):
        for i, u in enumerate(utterances):
            text = _words(u, 12, r * len(utterances) + i + 1)
            seen.append(text)
            started = time.perf_counter()
            await runtime.embed([text], priority=Priority.DRIVER)
            embed_times.append((time.perf_counter() - started) * 1000.0)
    out["embed_ms"] = _median(embed_times)
    cached = []
    for text in seen[-len(utterances) :]:
        started = time.perf_counter()
        await runtime.embed([text])
        cached.append((time.perf_counter() - started) * 1000.0)
    out["embed_cached_ms"] = _median(cached)
    batch = [_words(u, 12, 999) for u in utterances]
    started = time.perf_counter()
    await runtime.embed(batch)
    out["embed_batch12_ms"] = (time.perf_counter() - started) * 1000.0
    return out


def bench_runtime(
    repeats: int = 5,
    *,
    config: RuntimeConfig | None = None,
    decode_tokens: int = 64,
    utterances: int = len(UTTERANCES),
) -> dict[str, Any]:
    """Benchmark the in-process runtime against bare llama-cpp-python (see the module docstring)."""
    from llama_cpp import LLAMA_POOLING_TYPE_MEAN

    from models.llama import open_llama

    config = (config or RuntimeConfig.from_env()).model_copy(update={"host_url": None})
    registry = ModelRegistry.load(config.models_config)
    spec = registry.get(config.model)
    path = str(registry.resolve(spec.id))
    threads = config.resolved_threads()
    # The same fixed thread count as the bare baseline (the runtime would otherwise choose per load).
    config = config.model_copy(update={"threads": threads})
    repeats = max(1, repeats)

    runtime = ModelRuntime.open(config, registry=registry)

    async def phase() -> dict[str, Any]:
        details = await _runtime_phase(runtime, repeats, UTTERANCES[: max(1, utterances)])
        await _runtime_stream(runtime, _DECODE_PROMPT, decode_tokens)
        return details

    details = asyncio.run(phase())
    runtime_rss = _peak_rss_mb()

    bare = open_llama(
        path,
        n_ctx=config.n_ctx,
        n_batch=config.n_batch,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    _bare_stream(bare, _DECODE_PROMPT, decode_tokens)
    # Alternate the two so that load changes on the machine hit both sides alike.
    runtime_runs: list[tuple[float, float, int, int]] = []
    bare_runs: list[tuple[float, float, int, int]] = []
    for r in range(repeats):
        bare_runs.append(_bare_stream(bare, _DECODE_PROMPT + f" {r}", decode_tokens))
        runtime_runs.append(asyncio.run(_runtime_stream(runtime, _DECODE_PROMPT + f" {r}", decode_tokens)))
    bare.close()

    embedder = open_llama(
        path,
        embedding=True,
        pooling_type=LLAMA_POOLING_TYPE_MEAN,
        n_ctx=config.embed_max_tokens,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    embedder.embed(UTTERANCES[0])
    bare_embed = []
    for r in range(repeats):
        for i, u in enumerate(UTTERANCES[: min(6, max(1, utterances))]):
            text = _words(u, 12, 10_000 + r * 10 + i)
            started = time.perf_counter()
            embedder.embed(text)
            bare_embed.append((time.perf_counter() - started) * 1000.0)
    embedder.close()

    mine = _throughput(runtime_runs)
    theirs = _throughput(bare_runs)
    asyncio.run(runtime.aclose())
    section: dict[str, Any] = {
        "model": spec.id,
        "path": path,
        "sha256": spec.sha256,
        "threads": threads,
        "cores": os.cpu_count(),
        "n_ctx": config.n_ctx,
        "repeats": repeats,
        "decode_tokens": decode_tokens,
        **mine,
        "bare": theirs,
        "decode_ratio": mine["decode_tok_s"] / theirs["decode_tok_s"],
        "prefill_ratio": mine["prefill_tok_s"] / theirs["prefill_tok_s"],
        **details,
        "bare_embed_ms": _median(bare_embed),
        "load_avg_1m": os.getloadavg()[0],
    }
    return {"runtime": section, "peak_rss_mb": runtime_rss, "bench_process_peak_rss_mb": _peak_rss_mb()}


def summary(result: dict[str, Any]) -> str:
    r = result["runtime"]
    return "\n".join(
        [
            f"model {r['model']} ({r['threads']} threads, {r['cores']} cores, load {r['load_avg_1m']:.2f})",
            f"decode   {r['decode_tok_s']:.1f} tok/s  "
            f"(bare llama-cpp-python {r['bare']['decode_tok_s']:.1f}; "
            f"ratio {r['decode_ratio']:.3f})",
            f"prefill  {r['prefill_tok_s']:.0f} tok/s  (bare {r['bare']['prefill_tok_s']:.0f}); "
            f"ttft {r['ttft_ms']:.1f} ms (bare {r['bare']['ttft_ms']:.1f})",
            f"constrained 5-label call after a {r['prefix_tokens']}-token reused prefix: "
            f"{r['constrained_ms']:.1f} ms (p90 {r['constrained_p90_ms']:.1f}; "
            f"general grammar sampler {r['constrained_general_grammar_ms']:.1f})",
            f"score 5 labels: {r['score_ms']:.1f} ms",
            f"embed 12 words: {r['embed_ms']:.1f} ms uncached, {r['embed_cached_ms']:.3f} ms cached, "
            f"bare {r['bare_embed_ms']:.1f} ms; 12 utterances in one call {r['embed_batch12_ms']:.1f} ms",
            f"peak RSS {result['peak_rss_mb']:.0f} MB (runtime only; whole bench process "
            f"{result['bench_process_peak_rss_mb']:.0f} MB)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m models.bench", description="Benchmark the model runtime."
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    result = bench_runtime(args.repeats)
    print(json.dumps(result, indent=2) if args.json else summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
