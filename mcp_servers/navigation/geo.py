"""Distances on the earth, treated as a sphere of radius :data:`EARTH_RADIUS_M`.

Nearest-neighbour searches run on unit vectors (points on the unit sphere in 3-D), where the straight
chord between two points grows with their great-circle distance everywhere on the globe, so the
nearest point by chord (:class:`graph.NearestPoints`) is the nearest on the earth, for any extract,
small or continental.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
"""Mean earth radius (IUGG), in metres."""

FloatArray = npt.NDArray[np.float64]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_array_m(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Element-wise great-circle distances in metres between arrays of WGS84 points in degrees."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result


def unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on the unit sphere, shape (n, 3), for WGS84 degrees."""
    phi, lmb = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)))


def chord_for_distance(distance_m: float) -> float:
    """The unit-sphere chord length that corresponds to a great-circle distance in metres."""
    angle = min(math.pi, distance_m / EARTH_RADIUS_M)
    return 2.0 * math.sin(angle / 2.0)
