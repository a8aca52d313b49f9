"""Enumerations shared by the domain model and the CPU engine.

They live in a base module of their own so that the CPU engine's fleet commands
(``cpu-baseline``, ``cpu-compare``, ``cpu-matrix``, ``migrate-check``) can use them
without importing the domain model; :mod:`compiler.model` re-exports them.
"""

from __future__ import annotations

import enum


class CpuMode(enum.Enum):
    CUSTOM = "custom"
    HOST_MODEL = "host-model"
    HOST_PASSTHROUGH = "host-passthrough"
    MAXIMUM = "maximum"


class CpuMatch(enum.Enum):
    MINIMUM = "minimum"
    EXACT = "exact"
    STRICT = "strict"


class FeaturePolicy(enum.Enum):
    FORCE = "force"
    REQUIRE = "require"
    OPTIONAL = "optional"
    DISABLE = "disable"
    FORBID = "forbid"
