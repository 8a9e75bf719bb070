"""Vehicle backend over an Eclipse KUKSA databroker, through ``kuksa-client``'s async gRPC client.

The databroker holds a vehicle's VSS signals: providers (the adapters of the car's ECUs) publish current
values to it and act on actuator targets. This backend is a *consumer* of the broker: it reads current
values and targets, writes targets and subscribes to current values; it never writes current values.

On the wire it speaks what ``kuksa_client.grpc.aio.VSSClient`` 0.6 speaks: ``kuksa.val.v1``
``GetServerInfo``, ``Get`` (values, targets, metadata) and ``Set`` (targets), and ``kuksa.val.v2``
``Subscribe`` for subscriptions (``kuksa.val.v1`` ``Subscribe`` on brokers without v2).
"""

from __future__ import annotations

import asyncio
import logging
import math
import struct
from collections.abc import AsyncGenerator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import grpc
from kuksa.val.v1 import types_pb2 as types_v1  # type: ignore[import-untyped, unused-ignore]
from kuksa.val.v2 import types_pb2 as types_v2  # type: ignore[import-untyped, unused-ignore]
from kuksa_client.grpc import VSSClientError
from kuksa_client.grpc.aio import VSSClient

from ..catalog import Catalog, Scalar, Signal, Value
from ..errors import BackendError, BackendReadOnly, InvalidValue, UnknownSignal
from .base import VehicleBackend

__all__ = ["ADDRESS_ENV", "DEFAULT_PORT", "DEFAULT_TIMEOUT", "KuksaBackend"]

DEFAULT_PORT = 55555
"""The databroker's default gRPC port."""

DEFAULT_TIMEOUT = 5.0
"""Seconds a single request to the databroker may take before it counts as failed."""

ADDRESS_ENV = "CABIN_KUKSA_ADDRESS"
"""Environment variable naming the ``host:port`` of a KUKSA databroker."""

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Name of the ``Datapoint`` / ``Value`` oneof member that carries each VSS base datatype on the wire;
# arrays use the same name with ``_array`` appended.
_WIRE_FIELD = {
    "boolean": "bool",
    "string": "string",
    "int8": "int32",
    "int16": "int32",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint32",
    "uint16": "uint32",
    "uint32": "uint32",
    "uint64": "uint64",
    "float": "float",
    "double": "double",
}
_INTEGERS = frozenset(name for name, wire in _WIRE_FIELD.items() if wire.startswith(("int", "uint")))

_UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
_UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED.value[0]
_PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED.value[0]
_NOT_FOUND_HTTP = 404


def _kuksa_datatype(datatype: str) -> str:
    """The broker's DataType name of a VSS datatype: ``uint8[]`` -> ``UINT8_ARRAY``."""
    base = datatype.removesuffix("[]").upper()
    return f"{base}_ARRAY" if datatype.endswith("[]") else base


@dataclass(frozen=True, slots=True)
class _Remote:
    """What the databroker says about one signal."""

    datatype: str
    entry_type: str
    min: float | None = None
    max: float | None = None
    allowed: tuple[Scalar, ...] | None = None


@dataclass(slots=True)
class _Feed:
    """Hand-over between the task reading one subscription stream and the generator that yields it.

    Only the latest snapshot is kept: a slow consumer skips intermediate values, never the newest.
    """

    changed: asyncio.Event = field(default_factory=asyncio.Event)
    fresh: bool = False
    closed: bool = False
    error: BackendError | None = None

    def publish(self) -> None:
        self.fresh = True
        self.changed.set()

    def close(self, error: BackendError | None = None) -> None:
        self.error = error
        self.closed = True
        self.changed.set()


class _ExactDatapoint:
    """An actuator target that reaches the wire exactly as given.

    ``kuksa_client.grpc.Datapoint`` casts values with its command-line parser (it strips blanks and
    quotes from strings and splits arrays out of text); this stands in for it inside a ``DataEntry``
    and fills the protobuf message from the Python value instead.
    """

    timestamp = None

    def __init__(self, signal: Signal, value: Value) -> None:
        self.signal = signal
        self.value = value

    def _check(self, value_type: object) -> None:
        expected = _kuksa_datatype(self.signal.datatype)
        actual = getattr(value_type, "name", str(value_type))
        if actual != expected:
            raise BackendError(
                f"{self.signal.path}: the databroker now declares {actual}, not {expected}: "
                "its metadata changed since the connection was made; nothing was sent"
            )

    def v1_to_message(self, value_type: object) -> Any:
        self._check(value_type)
        message = types_v1.Datapoint()
        _fill(message, self.signal.datatype, self.value)
        return message

    def v2_to_message(self, value_type: object) -> Any:
        self._check(value_type)
        message = types_v2.Datapoint()
        _fill(message.value, self.signal.datatype, self.value)
        return message

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value}


def _fill(message: Any, datatype: str, value: Value) -> None:
    """Set the oneof member of a ``Datapoint`` (v1) or ``Value`` (v2) message that carries ``datatype``."""
    name = _WIRE_FIELD[datatype.removesuffix("[]")]
    if isinstance(value, list):
        array = getattr(message, f"{name}_array")
        array.SetInParent()  # an empty array must still select the oneof member
        array.values.extend(value)
    else:
        setattr(message, name, value)


def _float32(value: float) -> float:
    """The shortest decimal that is the same 32-bit float: 22.100000381469727 -> 22.1."""
    if not math.isfinite(value):
        return value
    for digits in range(6, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", candidate))[0] == value:
            return candidate
    return value


def _scalar(base: str, raw: object) -> Scalar:
    """Decode one wire value of VSS datatype ``base``; ValueError when it is of another kind."""
    if base == "boolean" and isinstance(raw, bool):
        return raw
    if base == "string" and isinstance(raw, str):
        return raw
    if base in _INTEGERS and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if base in ("float", "double") and isinstance(raw, int | float) and not isinstance(raw, bool):
        return _float32(float(raw)) if base == "float" else float(raw)
    raise ValueError(f"{raw!r} is not a {base}")


def _from_wire(datatype: str, raw: object) -> Value:
    base = datatype.removesuffix("[]")
    if not datatype.endswith("[]"):
        return _scalar(base, raw)
    items = getattr(raw, "values", None)
    if items is None or isinstance(raw, str | bytes):
        raise ValueError(f"{raw!r} is not an array")
    return [_scalar(base, item) for item in items]


def _describe_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for item in errors:
        error = item.get("error", {})
        reason = error.get("reason") or "error"
        message = error.get("message")
        detail = f"{error.get('code', '?')} {reason}" + (f": {message}" if message else "")
        parts.append(f"{item.get('path', '?')} ({detail})")
    return "; ".join(parts)


def _not_found(exc: Any) -> set[str]:
    """Paths a broker reported as unknown, when that is all it reported; empty otherwise."""
    errors = getattr(exc, "errors", None) or []
    codes = {item.get("error", {}).get("code") for item in errors}
    if not errors or codes != {_NOT_FOUND_HTTP}:
        return set()
    return {str(item.get("path")) for item in errors}


def _parse_address(address: str) -> tuple[str, int]:
    text = address.strip()
    if not text:
        raise BackendError("empty databroker address: expected host:port, e.g. 127.0.0.1:55555")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") if rest else ""
        if rest and not rest.startswith(":"):
            raise BackendError(f"databroker address {address!r}: expected [ipv6]:port")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise BackendError(f"databroker address {address!r}: the host is missing (expected host:port)")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit():
        raise BackendError(f"databroker address {address!r}: the port {port_text!r} is not a number")
    return host, int(port_text)


class KuksaBackend(VehicleBackend):
    """The signals of a vehicle behind an Eclipse KUKSA databroker (``kuksa.val`` gRPC API).

    Besides the :class:`VehicleBackend` contract:

    - Connecting is explicit (:meth:`connect`, or ``async with``) or happens on first use. At connect
      time the broker's metadata is read for every signal of :attr:`catalog`: a signal whose datatype
      differs from the catalog's fails the connection (:class:`BackendError` naming each one); a signal
      the broker does not have is tolerated and listed in :attr:`missing_paths` (reads give ``None``,
      writes are refused).
    - ``set_targets`` first checks every value against the catalog and against the broker's own
      metadata (the signal exists there, is an actuator, and the value fits the broker's min, max and
      allowed values); if any check fails nothing is sent. All targets then go out in one ``Set``
      request. The broker validates and applies each entry of a request on its own, so a refusal the
      checks could not foresee (a token without write access to one path) leaves the other entries
      applied: the error then names which paths the broker refused and which it accepted.
    - A request that takes longer than ``timeout`` seconds fails with :class:`BackendError`; for a
      write that means its outcome is unknown, and the message says so.
    - ``subscribe`` keeps one gRPC stream per call; a broken stream ends the iterator with
      :class:`BackendError`, and a new ``subscribe`` starts a new stream.
    - ``inject`` always raises :class:`BackendReadOnly`: current values belong to the broker's providers.
    """

    def __init__(
        self,
        catalog: Catalog,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        token: str | None = None,
        root_certificates: str | Path | None = None,
        tls_server_name: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not host:
            raise BackendError("the databroker host is empty")
        if not 0 < port < 65536:
            raise BackendError(f"databroker port {port} is outside 1..65535")
        if not timeout > 0:
            raise BackendError(f"the request timeout must be positive, got {timeout}")
        self.catalog = catalog
        self._host = host
        self._port = port
        self._token = token
        self._root_certificates = Path(root_certificates) if root_certificates is not None else None
        self._tls_server_name = tls_server_name
        self._timeout = timeout
        self._client: Any = None
        self._lock = asyncio.Lock()
        self._closing = asyncio.Event()
        self._closed = False
        self._remote: dict[str, _Remote] = {}
        self._missing: frozenset[str] = frozenset()
        self._server_info: str | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    @classmethod
    def from_address(cls, address: str, catalog: Catalog, **options: Any) -> KuksaBackend:
        """A backend for ``host:port`` (``[v6addr]:port`` for IPv6; the port defaults to 55555)."""
        host, port = _parse_address(address)
        return cls(catalog, host, port, **options)

    @property
    def address(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._port}"

    @property
    def server_info(self) -> str | None:
        """Name and version the broker reported at connect time (``None`` before, or if it did not say)."""
        return self._server_info

    @property
    def missing_paths(self) -> frozenset[str]:
        """Catalog signals the broker does not have (known after :meth:`connect`)."""
        return self._missing

    async def __aenter__(self) -> KuksaBackend:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def connect(self) -> None:
        """Open the channel, identify the broker and check its metadata against the catalog (idempotent)."""
        async with self._lock:
            if self._closed:
                raise BackendError(f"the connection to the KUKSA databroker at {self.address} is closed")
            if self._client is not None:
                return
            client = VSSClient(
                self._host,
                self._port,
                token=self._token,
                root_certificates=self._root_certificates,
                tls_server_name=self._tls_server_name,
                ensure_startup_connection=False,
            )
            try:
                try:
                    await client.connect()
                except OSError as exc:
                    raise BackendError(
                        f"cannot use the TLS root certificates {self._root_certificates}: "
                        f"{exc.strerror or exc}"
                    ) from exc
                info = await self._call("identify itself", client.get_server_info())
                remote, missing = await self._read_metadata(client)
                self._check_datatypes(remote)
            except BaseException:
                await client.disconnect()
                raise
            self._client = client
            self._remote = remote
            self._missing = frozenset(missing)
            self._server_info = f"{info.name} {info.version}".strip() if info is not None else None
        if missing:
            _log.warning(
                "the KUKSA databroker at %s lacks %d catalog signal(s): %s",
                self.address,
                len(missing),
                ", ".join(sorted(missing)),
            )
        _log.info(
            "connected to the KUKSA databroker at %s (%s): %d of %d catalog signals available",
            self.address,
            self._server_info or "unnamed",
            len(remote),
            len(self.catalog),
        )

    async def get_current(self, paths: Sequence[str]) -> dict[str, Value | None]:
        client = await self._connected()
        signals = [self.catalog.get(path) for path in paths]
        result: dict[str, Value | None] = {signal.path: None for signal in signals}
        asked = [path for path in result if path in self._remote]
        if asked:
            values = await self._call("read current values", client.get_current_values(asked))
            for path in asked:
                result[path] = self._decode(self.catalog.get(path), values.get(path))
        return result

    async def get_target(self, paths: Sequence[str]) -> dict[str, Value | None]:
        client = await self._connected()
        signals = [self.catalog.get(path) for path in paths]
        result: dict[str, Value | None] = {signal.path: None for signal in signals}
        asked = [path for path in result if self._has_target(path)]
        if asked:
            targets = await self._call("read actuator targets", client.get_target_values(asked))
            for path in asked:
                result[path] = self._decode(self.catalog.get(path), targets.get(path))
        return result

    async def set_targets(self, values: Mapping[str, Value]) -> None:
        if not values:
            return
        client = await self._connected()
        problems: list[str] = []
        updates: dict[str, _ExactDatapoint] = {}
        for path, value in values.items():
            try:
                signal = self.catalog.get(path)
                updates[path] = _ExactDatapoint(signal, self._checked_target(signal, value))
            except (UnknownSignal, InvalidValue) as exc:
                problems.append(str(exc))
        if problems:
            raise BackendError(
                f"nothing was sent to the KUKSA databroker at {self.address}: " + "; ".join(problems)
            )
        # The broker applies a Set entry by entry, so a path it no longer knows must be found before
        # the Set, not in its answer.
        declared = await self._call(
            "confirm the datatypes of the targets (nothing was sent)", client.get_value_types(list(updates))
        )
        changed = [
            f"{path} is now {getattr(declared.get(path), 'name', None)}"
            for path, target in updates.items()
            if getattr(declared.get(path), "name", None) != _kuksa_datatype(target.signal.datatype)
        ]
        if changed:
            raise BackendError(
                f"nothing was sent to the KUKSA databroker at {self.address}: its metadata changed since "
                f"the connection was made: {'; '.join(changed)}"
            )
        try:
            async with asyncio.timeout(self._timeout):
                await client.set_target_values(updates)
        except TimeoutError:
            raise BackendError(
                f"the KUKSA databroker at {self.address} did not answer within {self._timeout:g} s; "
                f"whether it applied the targets for {', '.join(updates)} is unknown"
            ) from None
        except VSSClientError as exc:
            errors = list(getattr(exc, "errors", None) or [])
            if not errors:
                raise self._failure("set actuator targets (none was applied)", exc) from exc
            refused = {str(item.get("path")) for item in errors}
            accepted = [path for path in updates if path not in refused]
            message = (
                f"the KUKSA databroker at {self.address} refused {len(refused)} of {len(updates)} targets: "
                f"{_describe_errors(errors)}"
            )
            if accepted:
                message += f"; it applied the others, which stay requested: {', '.join(accepted)}"
            raise BackendError(message) from exc

    async def subscribe(self, paths: Sequence[str]) -> AsyncGenerator[dict[str, Value | None], None]:
        client = await self._connected()
        latest: dict[str, Value | None] = {self.catalog.get(path).path: None for path in paths}
        watched = [path for path in latest if path in self._remote]
        feed = _Feed()
        task = asyncio.create_task(self._pump(client, watched, latest, feed))
        self._pumps.add(task)
        task.add_done_callback(self._pumps.discard)
        try:
            while True:
                if feed.fresh:
                    feed.fresh = False
                    yield dict(latest)
                    continue
                if feed.closed:
                    if feed.error is not None:
                        raise feed.error
                    return
                feed.changed.clear()
                await feed.changed.wait()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def inject(self, values: Mapping[str, Value]) -> None:
        raise BackendReadOnly(
            f"the KUKSA databroker at {self.address} serves a vehicle: current values come from its "
            "providers and cannot be injected"
        )

    async def aclose(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            self._closing.set()
            pumps = list(self._pumps)
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            client, self._client = self._client, None
            if client is not None:
                await client.disconnect()

    async def _connected(self) -> Any:
        if self._client is None:
            await self.connect()
        client = self._client
        if client is None or self._closed:
            raise BackendError(f"the connection to the KUKSA databroker at {self.address} is closed")
        return client

    async def _call(self, action: str, request: Awaitable[_T]) -> _T:
        try:
            async with asyncio.timeout(self._timeout):
                return await request
        except TimeoutError:
            raise BackendError(
                f"the KUKSA databroker at {self.address} did not answer within {self._timeout:g} s "
                f"(trying to {action})"
            ) from None
        except VSSClientError as exc:
            raise self._failure(action, exc) from exc

    def _failure(self, action: str, exc: Any) -> BackendError:
        error = dict(getattr(exc, "error", None) or {})
        errors = list(getattr(exc, "errors", None) or [])
        code = error.get("code")
        detail = str(error.get("message") or error.get("reason") or exc)
        if code == _UNAVAILABLE:
            return BackendError(f"cannot reach the KUKSA databroker at {self.address}: {detail}")
        if code == _UNAUTHENTICATED:
            hint = "the token was not accepted" if self._token else "it requires a token and none was given"
            return BackendError(
                f"the KUKSA databroker at {self.address} refused the connection: {hint} ({detail})"
            )
        if code == _PERMISSION_DENIED:
            return BackendError(f"the KUKSA databroker at {self.address} denied access to {action}: {detail}")
        if errors:
            return BackendError(
                f"the KUKSA databroker at {self.address} failed to {action}: {_describe_errors(errors)}"
            )
        reason = error.get("reason") or "error"
        return BackendError(f"the KUKSA databroker at {self.address} failed to {action}: {reason} ({detail})")

    async def _read_metadata(self, client: Any) -> tuple[dict[str, _Remote], set[str]]:
        remaining = list(self.catalog.paths)
        missing: set[str] = set()
        metadata: dict[str, Any] = {}
        while remaining:
            try:
                async with asyncio.timeout(self._timeout):
                    metadata = await client.get_metadata(remaining)
                break
            except TimeoutError:
                raise BackendError(
                    f"the KUKSA databroker at {self.address} did not answer within {self._timeout:g} s "
                    "(trying to read signal metadata)"
                ) from None
            except VSSClientError as exc:
                unknown = _not_found(exc) & set(remaining)
                if not unknown:
                    raise self._failure("read signal metadata", exc) from exc
                missing |= unknown
                remaining = [path for path in remaining if path not in unknown]
        remote: dict[str, _Remote] = {}
        for path in remaining:
            item = metadata.get(path)
            if item is None:
                missing.add(path)
                continue
            restriction = item.value_restriction
            allowed = getattr(restriction, "allowed_values", None)
            low = getattr(restriction, "min", None)
            high = getattr(restriction, "max", None)
            remote[path] = _Remote(
                datatype=str(getattr(item.data_type, "name", item.data_type)),
                entry_type=str(getattr(item.entry_type, "name", item.entry_type)),
                min=float(low) if low is not None else None,
                max=float(high) if high is not None else None,
                allowed=tuple(allowed) if allowed else None,
            )
        return remote, missing

    def _check_datatypes(self, remote: Mapping[str, _Remote]) -> None:
        wrong = [
            f"{path} is {self.catalog.get(path).datatype} in the catalog but {entry.datatype} on the broker"
            for path, entry in remote.items()
            if entry.datatype != _kuksa_datatype(self.catalog.get(path).datatype)
        ]
        if wrong:
            shown = "; ".join(wrong[:10]) + (f"; and {len(wrong) - 10} more" if len(wrong) > 10 else "")
            raise BackendError(
                f"the KUKSA databroker at {self.address} disagrees with the catalog {self.catalog.source} "
                f"on {len(wrong)} signal(s): {shown}. Load the same VSS release into both."
            )

    def _has_target(self, path: str) -> bool:
        remote = self._remote.get(path)
        return self.catalog.get(path).writable and remote is not None and remote.entry_type == "ACTUATOR"

    def _checked_target(self, signal: Signal, value: Value) -> Value:
        """``value`` ready for the wire, or :class:`InvalidValue` saying why the broker would not take it."""
        if not signal.writable:
            raise InvalidValue(signal.path, f"is a {signal.type}, not an actuator: it has no target")
        remote = self._remote.get(signal.path)
        if remote is None:
            raise InvalidValue(signal.path, "the databroker does not have this signal")
        if remote.entry_type != "ACTUATOR":
            raise InvalidValue(
                signal.path, f"the databroker declares it a {remote.entry_type.lower()}, not an actuator"
            )
        coerced = signal.coerce(value)
        for item in coerced if isinstance(coerced, list) else [coerced]:
            if remote.allowed is not None and item not in remote.allowed:
                options = ", ".join(str(option) for option in remote.allowed)
                raise InvalidValue(signal.path, f"the databroker allows only {options}; got {item!r}")
            if isinstance(item, int | float) and not isinstance(item, bool):
                if remote.min is not None and item < remote.min:
                    raise InvalidValue(
                        signal.path, f"{item} is below the databroker's minimum {remote.min:g}"
                    )
                if remote.max is not None and item > remote.max:
                    raise InvalidValue(
                        signal.path, f"{item} is above the databroker's maximum {remote.max:g}"
                    )
        return coerced

    def _decode(self, signal: Signal, datapoint: Any) -> Value | None:
        raw = getattr(datapoint, "value", None)
        if raw is None:
            return None
        try:
            return _from_wire(signal.datatype, raw)
        except ValueError as exc:
            raise BackendError(
                f"{signal.path}: the KUKSA databroker at {self.address} sent a value that does not fit "
                f"{signal.datatype}: {exc}"
            ) from None

    async def _pump(
        self, client: Any, watched: list[str], latest: dict[str, Value | None], feed: _Feed
    ) -> None:
        """Read one subscription stream into ``latest`` until it ends, fails or is cancelled."""
        error: BackendError | None = None
        try:
            if not watched:
                feed.publish()
                await self._closing.wait()
                return
            stream = client.subscribe_current_values(watched)
            try:
                async for updates in stream:
                    for path, datapoint in updates.items():
                        if path in latest:
                            latest[path] = self._decode(self.catalog.get(path), datapoint)
                    feed.publish()
            finally:
                await stream.aclose()
        except VSSClientError as exc:
            error = self._failure(f"subscribe to {', '.join(watched)}", exc)
        except BackendError as exc:
            error = exc
        finally:
            feed.close(error)
