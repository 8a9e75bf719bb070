"""The runtime section of ``cabin bench`` (a short run: the figures themselves are reported by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.bench import bench_runtime
from models.config import RuntimeConfig


@pytest.mark.model
def test_bench_reports_the_runtime_section(default_model_path: Path) -> None:
    result = bench_runtime(1, config=RuntimeConfig(n_ctx=1024), decode_tokens=12, utterances=2)
    section = result["runtime"]
    for key in ("model", "path", "threads", "decode_tok_s", "prefill_tok_s", "ttft_ms"):
        assert key in section
    assert section["model"] == "gemma-3-270m-q4_k_m"
    assert section["path"] == str(default_model_path)
    assert section["cores"] >= 1 and section["threads"] >= 1
    assert section["decode_tok_s"] > 0 and section["bare"]["decode_tok_s"] > 0
    assert section["decode_ratio"] == pytest.approx(section["decode_tok_s"] / section["bare"]["decode_tok_s"])
    assert section["constrained_ms"] > 0 and section["embed_ms"] > 0 and section["bare_embed_ms"] > 0
    assert set(section["constrained_labels"]) <= {"navigation", "vehicle", "perception", "media", "none"}
    assert result["peak_rss_mb"] > 0
