"""One exception tree, with stable codes that survive the trip through the model host."""

from __future__ import annotations

import pytest

from models import errors
from models.errors import (
    CapabilityNotSupported,
    ContextOverflow,
    DeadlineExceeded,
    GrammarError,
    InvalidRequest,
    ModelError,
    RequestAborted,
    RequestCancelled,
    error_from_code,
)

ALL = [getattr(errors, name) for name in errors.__all__ if isinstance(getattr(errors, name), type)]


def test_every_error_derives_from_the_root() -> None:
    assert all(issubclass(cls, ModelError) for cls in ALL)


def test_request_problems_and_aborts_are_grouped() -> None:
    assert issubclass(ContextOverflow, InvalidRequest)
    assert issubclass(GrammarError, InvalidRequest)
    assert issubclass(CapabilityNotSupported, InvalidRequest)
    assert issubclass(DeadlineExceeded, RequestAborted)
    assert issubclass(RequestCancelled, RequestAborted)


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in ALL]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_code_round_trip(cls: type[ModelError]) -> None:
    rebuilt = error_from_code(cls.code, "what went wrong")
    assert type(rebuilt) is cls
    assert rebuilt.message == "what went wrong"
    assert 400 <= cls.status < 600


def test_unknown_code_gives_the_root() -> None:
    assert type(error_from_code("no_such_code", "x")) is ModelError
