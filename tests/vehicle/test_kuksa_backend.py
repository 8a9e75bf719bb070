"""KuksaBackend through kuksa-client's real gRPC client against an in-process databroker stand-in.

The stand-in implements, with the servicer base classes that ship with kuksa-client, the RPCs that
``VSSClient`` 0.6 calls: ``kuksa.val.v1`` ``GetServerInfo``, ``Get``, ``Set``, ``Subscribe`` and
``kuksa.val.v2`` ``Subscribe``. It follows the behaviour of eclipse-kuksa/kuksa-databroker
(``databroker/src/grpc/kuksa_val_v1/val.rs``): unknown paths are reported per entry, a target for a
non-actuator rejects the whole ``Set``, and each remaining entry of a ``Set`` is validated and applied on
its own. One test runs against a real databroker when ``CABIN_KUKSA_ADDRESS`` names one.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from kuksa.val.v1 import types_pb2 as types_v1  # type: ignore[import-untyped, unused-ignore]
from kuksa.val.v1 import val_pb2 as val_v1  # type: ignore[import-untyped, unused-ignore]
from kuksa.val.v1 import val_pb2_grpc as val_v1_grpc  # type: ignore[import-untyped, unused-ignore]
from kuksa.val.v2 import types_pb2 as types_v2  # type: ignore[import-untyped, unused-ignore]
from kuksa.val.v2 import val_pb2 as val_v2  # type: ignore[import-untyped, unused-ignore]
from kuksa.val.v2 import val_pb2_grpc as val_v2_grpc  # type: ignore[import-untyped, unused-ignore]

from mcp_servers.vehicle.backends.kuksa import ADDRESS_ENV, DEFAULT_PORT, KuksaBackend
from mcp_servers.vehicle.catalog import Catalog, Signal, Value
from mcp_servers.vehicle.errors import BackendError, BackendReadOnly

SPEED = "Vehicle.Speed"
LATITUDE = "Vehicle.CurrentLocation.Latitude"
ODOMETER = "Vehicle.TraveledDistance"
DTC_LIST = "Vehicle.Diagnostics.DTCList"
SEAT_POS_COUNT = "Vehicle.Cabin.SeatPosCount"
CELL_VOLTAGES = "Vehicle.Powertrain.TractionBattery.CellVoltage.CellVoltages"
LOCKED = "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"
GEAR = "Vehicle.Powertrain.Transmission.SelectedGear"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
MUTE = "Vehicle.Cabin.Infotainment.Navigation.Mute"
DESTINATION = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude"
# Custom actuators, as a broker loaded with a VSS overlay would have them (VSS 6.0 has no array actuators).
LABELS = "Vehicle.Private.Test.Labels"
LEVELS = "Vehicle.Private.Test.Levels"
GAINS = "Vehicle.Private.Test.Gains"
FLAGS = "Vehicle.Private.Test.Flags"
OFFSETS = "Vehicle.Private.Test.Offsets"
COUNTER = "Vehicle.Private.Test.Counter"
TOTAL = "Vehicle.Private.Test.Total"

CATALOG = Catalog(
    [
        Signal(SPEED, "sensor", "float", unit="km/h"),
        Signal(LATITUDE, "sensor", "double", unit="degrees", min=-90, max=90),
        Signal(ODOMETER, "sensor", "uint32", unit="m"),
        Signal(DTC_LIST, "sensor", "string[]"),
        Signal(SEAT_POS_COUNT, "attribute", "uint8[]"),
        Signal(CELL_VOLTAGES, "sensor", "float[]", unit="V"),
        Signal(LOCKED, "actuator", "boolean"),
        Signal(GEAR, "actuator", "int8"),
        Signal(WINDOW, "actuator", "uint8", unit="percent", min=0, max=100),
        Signal(TEMPERATURE, "actuator", "float", unit="celsius"),
        Signal(MUTE, "actuator", "string", allowed=("MUTED", "ALERT_ONLY", "UNMUTED")),
        Signal(DESTINATION, "actuator", "double", unit="degrees", min=-90, max=90),
        Signal(LABELS, "actuator", "string[]"),
        Signal(LEVELS, "actuator", "uint8[]"),
        Signal(GAINS, "actuator", "float[]"),
        Signal(FLAGS, "actuator", "boolean[]"),
        Signal(OFFSETS, "actuator", "int16[]"),
        Signal(COUNTER, "actuator", "int64"),
        Signal(TOTAL, "actuator", "uint64"),
    ],
    source="test catalog",
)

# Values that survive the round trip unchanged, one or more per datatype.
ROUND_TRIPS: list[tuple[str, Value]] = [
    (LOCKED, True),
    (LOCKED, False),
    (GEAR, 126),
    (GEAR, -1),
    (GEAR, 0),
    (WINDOW, 100),
    (WINDOW, 0),
    (TEMPERATURE, 22.1),
    (TEMPERATURE, -3.5),
    (MUTE, "ALERT_ONLY"),
    (DESTINATION, 48.137154291),
    (LABELS, ["a, b", ' "quoted" ', "it's", "[x]", ""]),
    (LABELS, []),
    (LEVELS, [0, 7, 255]),
    (GAINS, [0.1, -2.25, 3.3]),
    (FLAGS, [True, False, True]),
    (OFFSETS, [-32768, 0, 32767]),
    (COUNTER, -(2**40)),
    (TOTAL, 2**63 + 5),
]

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
_ENTRY_TYPES = {
    "sensor": types_v1.ENTRY_TYPE_SENSOR,
    "actuator": types_v1.ENTRY_TYPE_ACTUATOR,
    "attribute": types_v1.ENTRY_TYPE_ATTRIBUTE,
}


def wire_field(datatype: str) -> str:
    name = _WIRE_FIELD[datatype.removesuffix("[]")]
    return f"{name}_array" if datatype.endswith("[]") else name


def data_type(datatype: str) -> int:
    base = datatype.removesuffix("[]").upper()
    suffix = "_ARRAY" if datatype.endswith("[]") else ""
    return int(types_v1.DataType.Value(f"DATA_TYPE_{base}{suffix}"))


def restriction_kind(datatype: str) -> str:
    base = datatype.removesuffix("[]")
    if base in ("float", "double"):
        return "floating_point"
    if base in ("string", "boolean"):
        return "string"
    return "unsigned" if base.startswith("uint") else "signed"


def encode(message: Any, datatype: str, value: Value) -> None:
    """Put ``value`` into a v1 ``Datapoint`` or v2 ``Value`` message."""
    name = wire_field(datatype)
    if isinstance(value, list):
        array = getattr(message, name)
        array.SetInParent()
        array.values.extend(value)
    else:
        setattr(message, name, value)


def decode(message: Any) -> Any:
    """The Python value a v1 ``Datapoint`` carries (``None`` when it carries none)."""
    name = message.WhichOneof("value")
    if name is None:
        return None
    raw = getattr(message, name)
    return list(raw.values) if name.endswith("_array") else raw


def v1_error(code: int, reason: str, message: str) -> Any:
    return types_v1.Error(code=code, reason=reason, message=message)


class StandIn:
    """State of the in-memory databroker: metadata, current values, targets and subscribers."""

    def __init__(
        self,
        signals: Iterable[Signal],
        *,
        token: str | None = None,
        forbidden: Iterable[str] = (),
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.metadata: dict[str, Any] = {}
        for signal in signals:
            meta = types_v1.Metadata(
                data_type=data_type(signal.datatype),
                entry_type=_ENTRY_TYPES[signal.type],
                description=signal.description or signal.path,
            )
            restriction = getattr(meta.value_restriction, restriction_kind(signal.datatype))
            if signal.allowed is not None:
                restriction.allowed_values.extend(signal.allowed)
            for bound in ("min", "max"):
                limit = getattr(signal, bound)
                if limit is not None:
                    setattr(restriction, bound, type(getattr(restriction, bound))(limit))
            self.metadata[signal.path] = meta
        for path, changes in (overrides or {}).items():
            meta = self.metadata[path]
            restriction = getattr(meta.value_restriction, restriction_kind(self.datatype(path)))
            for name, value in changes.items():
                if name == "allowed":
                    restriction.allowed_values[:] = value
                elif name in ("min", "max"):
                    setattr(restriction, name, value)
                else:
                    setattr(meta, name, value)
        self.token = token
        self.forbidden = set(forbidden)
        self.current: dict[str, Any] = {}
        self.targets: dict[str, Any] = {}
        self.set_requests: list[Any] = []
        self.subscribers: list[tuple[set[str], asyncio.Queue[set[str]]]] = []
        self.hang: set[str] = set()
        self.port = 0
        self.server_info_calls = 0

    def datatype(self, path: str) -> str:
        name = str(types_v1.DataType.Name(self.metadata[path].data_type)).removeprefix("DATA_TYPE_")
        if name.endswith("_ARRAY"):
            return name.removesuffix("_ARRAY").lower() + "[]"
        return name.lower()

    def publish(self, path: str, value: Value) -> None:
        """What a provider does: set a current value; subscribers hear of it."""
        datapoint = types_v1.Datapoint()
        encode(datapoint, self.datatype(path), value)
        self.current[path] = datapoint
        for paths, queue in self.subscribers:
            if path in paths:
                queue.put_nowait({path})

    def target(self, path: str) -> Any:
        return decode(self.targets[path]) if path in self.targets else None

    async def check(self, context: Any, rpc: str) -> None:
        if rpc in self.hang:
            await asyncio.sleep(30)
        if self.token is not None:
            metadata = dict(context.invocation_metadata())
            if metadata.get("authorization") != f"Bearer {self.token}":
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Unauthenticated")

    def v2_datapoint(self, path: str) -> Any:
        datapoint = types_v2.Datapoint()
        current = self.current.get(path)
        if current is not None:
            name = current.WhichOneof("value")
            raw = getattr(current, name)
            if name.endswith("_array"):
                array = getattr(datapoint.value, name)
                array.SetInParent()
                array.values.extend(raw.values)
            else:
                setattr(datapoint.value, name, raw)
        return datapoint

    def problem(self, path: str, datapoint: Any) -> Any:
        """The broker's per-entry verdict on a target: None when it accepts it."""
        if path in self.forbidden:
            return v1_error(403, "forbidden", f"Access was denied for {path}")
        if datapoint.WhichOneof("value") != wire_field(self.datatype(path)):
            return v1_error(400, "type mismatch", "cannot set existing datapoint to value of different type")
        restriction = getattr(self.metadata[path].value_restriction, restriction_kind(self.datatype(path)))
        value = decode(datapoint)
        for item in value if isinstance(value, list) else [value]:
            if restriction.allowed_values and item not in restriction.allowed_values:
                return v1_error(400, "value out of allowed bounds", "given value exceeds type's boundaries")
            if "min" not in restriction.DESCRIPTOR.fields_by_name:
                continue
            if (restriction.HasField("min") and item < restriction.min) or (
                restriction.HasField("max") and item > restriction.max
            ):
                return v1_error(400, "value out of min/max bounds", "given value exceeds type's boundaries")
        return None


class V1Servicer(val_v1_grpc.VALServicer):  # type: ignore[misc]
    def __init__(self, broker: StandIn) -> None:
        self.broker = broker

    async def GetServerInfo(self, request: Any, context: Any) -> Any:
        await self.broker.check(context, "GetServerInfo")
        self.broker.server_info_calls += 1
        return val_v1.GetServerInfoResponse(name="databroker-stand-in", version="0.6.0-test")

    async def Get(self, request: Any, context: Any) -> Any:
        await self.broker.check(context, "Get")
        if not request.entries:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "No datapoints requested")
        entries, errors = [], []
        for wanted in request.entries:
            path = wanted.path
            if path not in self.broker.metadata:
                errors.append(
                    types_v1.DataEntryError(
                        path=path, error=v1_error(404, "not_found", "No entries found for the provided path")
                    )
                )
                continue
            entry = types_v1.DataEntry(path=path)
            if wanted.view == types_v1.VIEW_METADATA:
                entry.metadata.CopyFrom(self.broker.metadata[path])
            elif wanted.view == types_v1.VIEW_TARGET_VALUE:
                if path in self.broker.targets:
                    entry.actuator_target.CopyFrom(self.broker.targets[path])
            else:
                entry.value.CopyFrom(self.broker.current.get(path, types_v1.Datapoint()))
            entries.append(entry)
        response = val_v1.GetResponse(entries=entries, errors=errors)
        if errors:
            response.error.CopyFrom(errors[0].error)
        return response

    async def Set(self, request: Any, context: Any) -> Any:
        await self.broker.check(context, "Set")
        self.broker.set_requests.append(request)
        errors, valid = [], []
        for update in request.updates:
            path = update.entry.path
            if path not in self.broker.metadata:
                errors.append(
                    types_v1.DataEntryError(path=path, error=v1_error(404, "not_found", f"{path} not found"))
                )
                continue
            is_actuator = self.broker.metadata[path].entry_type == types_v1.ENTRY_TYPE_ACTUATOR
            if update.entry.HasField("actuator_target") and not is_actuator:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "Tried to set a target value for a non-actuator. Non-actuators have no target value.",
                )
            valid.append(update)
        for update in valid:
            path = update.entry.path
            problem = self.broker.problem(path, update.entry.actuator_target)
            if problem is not None:
                errors.append(types_v1.DataEntryError(path=path, error=problem))
            else:
                self.broker.targets[path] = update.entry.actuator_target
        return val_v1.SetResponse(errors=errors)

    async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
        await self.broker.check(context, "Subscribe")
        paths = [entry.path for entry in request.entries]
        queue: asyncio.Queue[set[str]] = asyncio.Queue()
        subscriber = (set(paths), queue)
        self.broker.subscribers.append(subscriber)
        try:
            changed = set(paths)
            while True:
                updates = []
                for path in changed:
                    entry = types_v1.DataEntry(path=path)
                    entry.value.CopyFrom(self.broker.current.get(path, types_v1.Datapoint()))
                    updates.append(val_v1.EntryUpdate(entry=entry, fields=[types_v1.FIELD_VALUE]))
                yield val_v1.SubscribeResponse(updates=updates)
                changed = await queue.get()
        finally:
            self.broker.subscribers.remove(subscriber)


class V2Servicer(val_v2_grpc.VALServicer):  # type: ignore[misc]
    def __init__(self, broker: StandIn) -> None:
        self.broker = broker

    async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
        await self.broker.check(context, "Subscribe")
        paths = list(request.signal_paths)
        if any(path not in self.broker.metadata for path in paths):
            await context.abort(grpc.StatusCode.NOT_FOUND, "Path not found")
        queue: asyncio.Queue[set[str]] = asyncio.Queue()
        subscriber = (set(paths), queue)
        self.broker.subscribers.append(subscriber)
        try:
            changed = set(paths)
            while True:
                yield val_v2.SubscribeResponse(entries={p: self.broker.v2_datapoint(p) for p in changed})
                changed = await queue.get()
        finally:
            self.broker.subscribers.remove(subscriber)


async def serve(broker: StandIn, *, v2: bool = True) -> grpc.aio.Server:
    server = grpc.aio.server()
    val_v1_grpc.add_VALServicer_to_server(V1Servicer(broker), server)
    if v2:
        val_v2_grpc.add_VALServicer_to_server(V2Servicer(broker), server)
    broker.port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server


@pytest.fixture
async def broker() -> AsyncIterator[StandIn]:
    state = StandIn(CATALOG)
    server = await serve(state)
    yield state
    await server.stop(None)


@pytest.fixture
async def backend(broker: StandIn) -> AsyncIterator[KuksaBackend]:
    async with KuksaBackend(CATALOG, "127.0.0.1", broker.port, timeout=2.0) as connected:
        yield connected


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def next_item(iterator: AsyncIterator[dict[str, Value | None]]) -> dict[str, Value | None]:
    return await asyncio.wait_for(anext(iterator), timeout=5)


# --- connecting --------------------------------------------------------------------------------------


async def test_connect_identifies_the_broker_and_finds_every_signal(backend: KuksaBackend) -> None:
    assert backend.server_info == "databroker-stand-in 0.6.0-test"
    assert backend.missing_paths == frozenset()
    assert backend.is_simulated is False


async def test_connection_refused_names_the_address() -> None:
    port = free_port()
    backend = KuksaBackend(CATALOG, "127.0.0.1", port, timeout=5.0)
    with pytest.raises(BackendError, match=rf"cannot reach the KUKSA databroker at 127\.0\.0\.1:{port}"):
        await backend.connect()
    await backend.aclose()


async def test_first_use_connects_and_fails_loudly_without_a_broker() -> None:
    backend = KuksaBackend(CATALOG, "127.0.0.1", free_port())
    with pytest.raises(BackendError, match="cannot reach"):
        await backend.get_current([SPEED])
    await backend.aclose()


async def test_datatype_disagreement_fails_the_connection() -> None:
    state = StandIn(CATALOG, overrides={SPEED: {"data_type": types_v1.DATA_TYPE_DOUBLE}})
    server = await serve(state)
    try:
        backend = KuksaBackend(CATALOG, "127.0.0.1", state.port)
        with pytest.raises(
            BackendError, match=r"Vehicle\.Speed is float in the catalog but DOUBLE on the broker"
        ):
            await backend.connect()
        await backend.aclose()
    finally:
        await server.stop(None)


async def test_signals_the_broker_lacks_read_as_none_and_refuse_targets() -> None:
    state = StandIn(signal for signal in CATALOG if signal.path not in {SPEED, WINDOW})
    server = await serve(state)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port) as backend:
            assert backend.missing_paths == {SPEED, WINDOW}
            state.publish(ODOMETER, 1234)
            assert await backend.get_current([SPEED, ODOMETER]) == {SPEED: None, ODOMETER: 1234}
            with pytest.raises(
                BackendError, match=r"Window\.Position: the databroker does not have this signal"
            ):
                await backend.set_targets({WINDOW: 50, LOCKED: True})
            assert state.set_requests == []
    finally:
        await server.stop(None)


async def test_token_is_sent_and_a_wrong_one_is_named() -> None:
    state = StandIn(CATALOG, token="s3cret")
    server = await serve(state)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port, token="s3cret") as backend:
            await backend.set_targets({LOCKED: True})
            assert state.target(LOCKED) is True
        wrong = KuksaBackend(CATALOG, "127.0.0.1", state.port, token="guess")
        with pytest.raises(BackendError, match="refused the connection: the token was not accepted"):
            await wrong.connect()
        await wrong.aclose()
        anonymous = KuksaBackend(CATALOG, "127.0.0.1", state.port)
        with pytest.raises(BackendError, match="requires a token and none was given"):
            await anonymous.connect()
        await anonymous.aclose()
    finally:
        await server.stop(None)


async def test_a_silent_broker_times_out_with_a_clear_error(broker: StandIn) -> None:
    backend = KuksaBackend(CATALOG, "127.0.0.1", broker.port, timeout=0.3)
    await backend.connect()
    broker.hang = {"Get"}
    with pytest.raises(BackendError, match=r"did not answer within 0\.3 s \(trying to read current values\)"):
        await backend.get_current([SPEED])
    broker.hang = {"Set"}
    with pytest.raises(BackendError, match=r"whether it applied the targets for .*IsLocked is unknown"):
        await backend.set_targets({LOCKED: True})
    await backend.aclose()


async def test_concurrent_callers_share_one_connection(broker: StandIn) -> None:
    backend = KuksaBackend(CATALOG, "127.0.0.1", broker.port)
    broker.publish(SPEED, 30.0)
    reads = [backend.get_current([SPEED]) for _ in range(10)]
    writes = [backend.set_targets({WINDOW: position}) for position in range(10)]
    results = await asyncio.gather(*reads, *writes)
    assert results[:10] == [{SPEED: 30.0}] * 10
    assert broker.server_info_calls == 1
    assert len(broker.set_requests) == 10
    await backend.aclose()


async def test_missing_tls_certificates_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    backend = KuksaBackend(CATALOG, "127.0.0.1", free_port(), root_certificates=missing)
    with pytest.raises(BackendError, match=rf"TLS root certificates {re.escape(str(missing))}"):
        await backend.connect()
    await backend.aclose()


def test_addresses_parse_into_host_and_port() -> None:
    assert KuksaBackend.from_address("10.0.0.7:55556", CATALOG).address == "10.0.0.7:55556"
    assert KuksaBackend.from_address("broker", CATALOG).address == f"broker:{DEFAULT_PORT}"
    assert KuksaBackend.from_address("[::1]:4000", CATALOG).address == "[::1]:4000"
    for bad in ("", "host:port", ":55555", "host:70000"):
        with pytest.raises(BackendError):
            KuksaBackend.from_address(bad, CATALOG)


# --- reading -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (SPEED, 87.3),
        (LATITUDE, 52.520008123),
        (ODOMETER, 4_000_000_000),
        (DTC_LIST, ["P0300", "U0100, intermittent"]),
        (SEAT_POS_COUNT, [2, 3]),
        (CELL_VOLTAGES, [3.71, 3.69]),
        *ROUND_TRIPS,
    ],
)
async def test_current_values_keep_their_datatype(
    broker: StandIn, backend: KuksaBackend, path: str, value: Value
) -> None:
    broker.publish(path, value)
    assert await backend.get_current([path]) == {path: value}


async def test_values_nobody_published_are_none(backend: KuksaBackend) -> None:
    assert await backend.get_current([SPEED, WINDOW]) == {SPEED: None, WINDOW: None}
    assert await backend.get_target([WINDOW, SPEED]) == {WINDOW: None, SPEED: None}


async def test_float_signals_read_back_as_the_number_that_was_written(
    broker: StandIn, backend: KuksaBackend
) -> None:
    broker.publish(SPEED, 0.1)
    assert decode(broker.current[SPEED]) != 0.1  # 32 bits on the wire
    assert await backend.get_current([SPEED]) == {SPEED: 0.1}


# --- writing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "value"), ROUND_TRIPS)
async def test_targets_round_trip_in_every_datatype(
    broker: StandIn, backend: KuksaBackend, path: str, value: Value
) -> None:
    await backend.set_targets({path: value})
    if CATALOG.get(path).datatype.startswith("float"):
        assert broker.target(path) == pytest.approx(value, rel=1e-6)
    else:
        assert broker.target(path) == value
    assert await backend.get_target([path]) == {path: value}
    assert await backend.get_current([path]) == {path: None}  # a target is not a current value


async def test_many_targets_travel_in_one_request(broker: StandIn, backend: KuksaBackend) -> None:
    values: dict[str, Value] = {WINDOW: 40, LOCKED: False, MUTE: "MUTED", TEMPERATURE: 23.5}
    await backend.set_targets(values)
    assert len(broker.set_requests) == 1
    assert {update.entry.path for update in broker.set_requests[0].updates} == set(values)
    assert await backend.get_target(list(values)) == values


async def test_one_bad_value_means_nothing_is_sent(broker: StandIn, backend: KuksaBackend) -> None:
    with pytest.raises(
        BackendError, match=r"nothing was sent.*Window\.Position: 150 is above the maximum 100"
    ):
        await backend.set_targets({LOCKED: True, WINDOW: 150})
    with pytest.raises(BackendError, match=r"Vehicle\.Speed: is a sensor, not an actuator"):
        await backend.set_targets({LOCKED: True, SPEED: 10.0})
    with pytest.raises(BackendError, match=r"unknown signal 'Vehicle\.Cabin\.Nope'"):
        await backend.set_targets({LOCKED: True, "Vehicle.Cabin.Nope": 1})
    assert broker.set_requests == []
    assert broker.targets == {}


async def test_the_brokers_own_restrictions_are_checked_before_sending() -> None:
    state = StandIn(CATALOG, overrides={MUTE: {"allowed": ["MUTED", "UNMUTED"]}})
    server = await serve(state)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port) as backend:
            with pytest.raises(
                BackendError, match=r"Mute: the databroker allows only MUTED, UNMUTED; got 'ALERT_ONLY'"
            ):
                await backend.set_targets({LOCKED: True, MUTE: "ALERT_ONLY"})
            assert state.set_requests == []
    finally:
        await server.stop(None)


async def test_a_narrower_range_on_the_broker_is_checked_before_sending() -> None:
    state = StandIn(CATALOG, overrides={WINDOW: {"max": 80}})
    server = await serve(state)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port) as backend:
            await backend.set_targets({WINDOW: 80})
            with pytest.raises(BackendError, match=r"90 is above the databroker's maximum 80"):
                await backend.set_targets({LOCKED: True, WINDOW: 90})
            assert len(state.set_requests) == 1
            assert state.target(WINDOW) == 80
            assert state.target(LOCKED) is None
    finally:
        await server.stop(None)


async def test_an_actuator_the_broker_calls_a_sensor_is_refused_before_sending() -> None:
    state = StandIn(CATALOG, overrides={WINDOW: {"entry_type": types_v1.ENTRY_TYPE_SENSOR}})
    server = await serve(state)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port) as backend:
            with pytest.raises(BackendError, match="the databroker declares it a sensor, not an actuator"):
                await backend.set_targets({LOCKED: True, WINDOW: 10})
            assert state.set_requests == []
    finally:
        await server.stop(None)


async def test_a_refusal_only_the_broker_can_make_is_reported_path_by_path() -> None:
    # The broker applies each entry of a Set on its own: what it accepted stays applied, and the error
    # says exactly which paths were refused and which were not.
    state = StandIn(CATALOG, forbidden={WINDOW})
    server = await serve(state)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port) as backend:
            with pytest.raises(BackendError) as caught:
                await backend.set_targets({WINDOW: 30, LOCKED: True})
            message = str(caught.value)
            assert "refused 1 of 2 targets" in message
            assert f"{WINDOW} (403 forbidden" in message
            assert f"it applied the others, which stay requested: {LOCKED}" in message
            assert state.target(WINDOW) is None
            assert state.target(LOCKED) is True
    finally:
        await server.stop(None)


async def test_a_signal_removed_from_the_broker_after_connecting_stops_the_whole_write(
    broker: StandIn, backend: KuksaBackend
) -> None:
    del broker.metadata[WINDOW]
    with pytest.raises(BackendError, match=r"nothing was sent.*Window\.Position \(404 not_found") as caught:
        await backend.set_targets({LOCKED: True, WINDOW: 10})
    assert "applied" not in str(caught.value)
    assert broker.set_requests == []
    broker.metadata[WINDOW] = types_v1.Metadata(
        data_type=types_v1.DATA_TYPE_FLOAT, entry_type=types_v1.ENTRY_TYPE_ACTUATOR
    )
    with pytest.raises(BackendError, match=r"metadata changed.*Window\.Position is now FLOAT"):
        await backend.set_targets({LOCKED: True, WINDOW: 10})
    assert broker.set_requests == []


async def test_inject_is_refused(backend: KuksaBackend) -> None:
    with pytest.raises(BackendReadOnly, match=r"127\.0\.0\.1:\d+ serves a vehicle"):
        await backend.inject({SPEED: 0.0})


# --- subscribing -------------------------------------------------------------------------------------


async def test_subscription_starts_with_a_snapshot_then_follows_changes(
    broker: StandIn, backend: KuksaBackend
) -> None:
    broker.publish(WINDOW, 0)
    updates = backend.subscribe([WINDOW, SPEED])
    assert await next_item(updates) == {WINDOW: 0, SPEED: None}
    broker.publish(SPEED, 12.5)
    assert await next_item(updates) == {WINDOW: 0, SPEED: 12.5}
    broker.publish(WINDOW, 35)
    assert await next_item(updates) == {WINDOW: 35, SPEED: 12.5}
    await updates.aclose()
    await asyncio.sleep(0.05)
    assert broker.subscribers == []


async def test_a_slow_subscriber_skips_to_the_latest_value(broker: StandIn, backend: KuksaBackend) -> None:
    updates = backend.subscribe([WINDOW])
    assert await next_item(updates) == {WINDOW: None}
    for position in range(1, 101):
        broker.publish(WINDOW, position)
    await asyncio.sleep(0.2)  # the consumer is busy while the broker sends
    seen = [await next_item(updates)]
    while seen[-1][WINDOW] != 100:
        seen.append(await next_item(updates))
    assert len(seen) < 100
    await updates.aclose()


async def test_closing_the_backend_ends_subscriptions(broker: StandIn) -> None:
    backend = KuksaBackend(CATALOG, "127.0.0.1", broker.port)
    updates = backend.subscribe([LOCKED])
    assert await next_item(updates) == {LOCKED: None}
    await backend.aclose()
    with pytest.raises(StopAsyncIteration):
        await next_item(updates)
    await backend.aclose()  # idempotent
    with pytest.raises(BackendError, match="is closed"):
        await backend.get_current([LOCKED])


async def test_subscription_to_signals_the_broker_lacks_yields_nones() -> None:
    state = StandIn(signal for signal in CATALOG if signal.path != SPEED)
    server = await serve(state)
    try:
        backend = KuksaBackend(CATALOG, "127.0.0.1", state.port)
        updates = backend.subscribe([SPEED])
        assert await next_item(updates) == {SPEED: None}
        await backend.aclose()
        with pytest.raises(StopAsyncIteration):
            await next_item(updates)
    finally:
        await server.stop(None)


async def test_a_broker_without_the_v2_api_is_followed_through_v1() -> None:
    state = StandIn(CATALOG)
    server = await serve(state, v2=False)
    try:
        async with KuksaBackend(CATALOG, "127.0.0.1", state.port) as backend:
            state.publish(LEVELS, [1, 2])
            updates = backend.subscribe([LEVELS, MUTE])
            assert await next_item(updates) == {LEVELS: [1, 2], MUTE: None}
            state.publish(MUTE, "UNMUTED")
            assert await next_item(updates) == {LEVELS: [1, 2], MUTE: "UNMUTED"}
            await updates.aclose()
    finally:
        await server.stop(None)


async def test_a_broker_going_away_ends_the_subscription_with_an_error() -> None:
    state = StandIn(CATALOG)
    server = await serve(state)
    backend = KuksaBackend(CATALOG, "127.0.0.1", state.port)
    try:
        updates = backend.subscribe([LOCKED])
        assert await next_item(updates) == {LOCKED: None}
        await server.stop(None)
        with pytest.raises(BackendError, match=r"KUKSA databroker at 127\.0\.0\.1:\d+"):
            await next_item(updates)
    finally:
        await backend.aclose()


# --- a real databroker -------------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get(ADDRESS_ENV),
    reason=f"no real KUKSA databroker: set {ADDRESS_ENV}=host:port to run this test against one",
)
async def test_against_a_real_databroker() -> None:
    catalog = Catalog.load()
    async with KuksaBackend.from_address(os.environ[ADDRESS_ENV], catalog) as backend:
        assert backend.server_info
        assert len(backend.missing_paths) < len(catalog)
        current = await backend.get_current(catalog.paths)
        assert set(current) == set(catalog.paths)
        path = "Vehicle.Cabin.Infotainment.Media.Volume"
        if path not in backend.missing_paths:
            before = (await backend.get_target([path]))[path]
            await backend.set_targets({path: 17})
            assert await backend.get_target([path]) == {path: 17}
            if before is not None:
                await backend.set_targets({path: before})
        updates = backend.subscribe([path, "Vehicle.Speed"])
        first = await next_item(updates)
        assert set(first) == {path, "Vehicle.Speed"}
        await updates.aclose()
