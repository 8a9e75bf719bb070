"""Payloads of the model host service (loopback HTTP + JSON)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from models.types import ChatRequest, CompletionRequest, EmbedRequest, Priority, ScoreRequest

__all__ = [
    "ChatCall",
    "CompleteCall",
    "EmbedCall",
    "EmbedResponse",
    "ErrorBody",
    "ErrorDetail",
    "PrefixCall",
    "PrefixResponse",
    "ScoreCall",
    "decode_vectors",
    "encode_vectors",
]


class _Call(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: int = Field(default=int(Priority.INTERACTIVE), ge=-1000, le=1000)
    timeout: float | None = Field(default=None, gt=0, le=3600)
    """Seconds the host may spend on the request, queue time included."""


class CompleteCall(_Call):
    request: CompletionRequest


class ChatCall(_Call):
    request: ChatRequest


class ScoreCall(_Call):
    request: ScoreRequest


class EmbedCall(_Call):
    request: EmbedRequest


class PrefixCall(_Call):
    priority: int = Field(default=int(Priority.BACKGROUND), ge=-1000, le=1000)
    text: str = Field(min_length=1)


class PrefixResponse(BaseModel):
    text: str
    tokens: int


class EmbedResponse(BaseModel):
    """Embeddings as little-endian float32 bytes (base64), exact and compact."""

    model: str
    shape: tuple[int, int]
    data_base64: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def encode_vectors(vectors: np.ndarray[Any, np.dtype[np.float32]], model: str) -> EmbedResponse:
    arr = np.ascontiguousarray(vectors, dtype="<f4")
    return EmbedResponse(
        model=model,
        shape=(int(arr.shape[0]), int(arr.shape[1])),
        data_base64=base64.b64encode(arr.tobytes()).decode("ascii"),
    )


def decode_vectors(payload: EmbedResponse) -> np.ndarray[Any, np.dtype[np.float32]]:
    raw = base64.b64decode(payload.data_base64)
    rows, cols = payload.shape
    if len(raw) != rows * cols * 4:
        raise ValueError("embedding payload size does not match its shape")
    return np.frombuffer(raw, dtype="<f4").reshape(rows, cols).astype(np.float32)
