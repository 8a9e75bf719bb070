"""Driving functions: gear, parking brake, cruise control and the driver-assistance systems.

The assistant never operates them (docs/safety.md GR-04, GR-05), but it must recognise a request for one
("shift into reverse", "turn off lane assist") so that the refusal names its rule and says why, instead
of "I can't do that (yet)". The templates (`grammar/sentences.yaml`, intent `driving_function`) name a
function and a value; `action_for` turns them into one `set_signals` call on the function's VSS signal,
which the vehicle server's guardrails decide like any other write: refused under GR-04 (gear always,
parking brake and cruise control unless parked), GR-05 (a driver-assistance system switched off
unless parked), GR-15 (a passenger) or GR-16 (this agent may not write driving signals at all).
`refusal_sentence` is what the person hears: "I can't change gear for you; that stays with the driver."

`set_signals` is offered to nothing else: the model never sees it (`ToolCatalog.names`), and
`ToolCatalog.check` accepts it only with the signals listed here.
"""

from __future__ import annotations

from pydantic import JsonValue

from agents.vehicle_control.actions import Action

__all__ = ["DRIVING_PATHS", "DRIVING_TOOL", "FUNCTIONS", "GEARS", "action_for", "refusal_sentence"]

DRIVING_TOOL = "set_signals"
"""The vehicle tool a driving-function request is sent through (so the guardrails judge it)."""

_ASSISTS: dict[str, tuple[str, str]] = {
    "esc": ("ESC", "the stability control"),
    "abs": ("ABS", "the anti-lock brakes"),
    "tcs": ("TCS", "traction control"),
    "eba": ("EBA", "the emergency brake assist"),
    "ebd": ("EBD", "the brake force distribution"),
    "lane_keeping": ("LaneDepartureDetection", "lane keeping"),
}
FUNCTIONS: dict[str, str] = {
    "gear": "Vehicle.Powertrain.Transmission.SelectedGear",
    "parking_brake": "Vehicle.Chassis.ParkingBrake.IsEngaged",
    "cruise_control": "Vehicle.ADAS.CruiseControl.IsEnabled",
    "cruise_speed": "Vehicle.ADAS.CruiseControl.SpeedSet",
    **{name: f"Vehicle.ADAS.{system}.IsEnabled" for name, (system, _) in _ASSISTS.items()},
}
"""Each driving function and the VSS signal that would carry it."""

DRIVING_PATHS: frozenset[str] = frozenset(FUNCTIONS.values())

GEARS: dict[str, int] = {"park": 126, "reverse": -1, "neutral": 0, "drive": 127}
"""Gear names as the templates give them, and their VSS ``SelectedGear`` values."""


def action_for(function: str, value: JsonValue) -> Action:
    """The `set_signals` call a request for `function` with `value` stands for.

    `value`: a gear name for `gear`, km/h for `cruise_speed`, true/false otherwise. Raises ValueError
    for an unknown function or a value that does not fit it (a grammar mistake, caught at load time).
    """
    path = FUNCTIONS.get(function)
    if path is None:
        raise ValueError(f"unknown driving function {function!r}; known: {', '.join(FUNCTIONS)}")
    signal: JsonValue
    if function == "gear":
        if not isinstance(value, str) or value not in GEARS:
            raise ValueError(f"a gear is one of {', '.join(GEARS)}, not {value!r}")
        signal = GEARS[value]
    elif function == "cruise_speed":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"a cruise speed is a number of km/h, not {value!r}")
        signal = float(value)
    else:
        if not isinstance(value, bool):
            raise ValueError(f"{function} is switched with true or false, not {value!r}")
        signal = value
    return Action(tool=DRIVING_TOOL, arguments={"values": {path: signal}})


def _function_of(action: Action) -> tuple[str, JsonValue] | None:
    values = action.arguments.get("values")
    if action.tool != DRIVING_TOOL or not isinstance(values, dict) or len(values) != 1:
        return None
    ((path, value),) = values.items()
    for function, known in FUNCTIONS.items():
        if known == path:
            return function, value
    return None


def refusal_sentence(action: Action) -> str | None:
    """What the person hears when the car refused `action` (None when it is no driving function)."""
    found = _function_of(action)
    if found is None:
        return None
    function, value = found
    if function == "gear":
        what = "change gear"
    elif function == "parking_brake":
        what = "apply the parking brake" if value is True else "release the parking brake"
    elif function in ("cruise_control", "cruise_speed"):
        what = "set the cruise control" if value not in (False,) else "switch off the cruise control"
    else:
        name = _ASSISTS[function][1]
        what = f"switch {'on' if value is True else 'off'} {name}"
    return f"I can't {what} for you; that stays with the driver."
