"""An optional recorder of the decisions the normalize passes make, for ``domc explain``.

A compile does not record anything: ``Env.trace`` is None and every hook is one
``if env.trace:`` test.  ``domc explain`` sets a :class:`Trace`, and the passes that
choose a value from the state of an allocation (the first free PCI slot, USB port,
the bus a q35 guest grows) note the decision with the facts that explain it, under a
key the explainer finds again in the normalized domain (the address that was chosen).
What can be derived from the parsed and the normalized domain is not recorded.
"""

from __future__ import annotations


class Trace:
    """Notes in the order the passes made them: ``(topic, key) -> facts``."""

    __slots__ = ("notes",)

    def __init__(self) -> None:
        self.notes: dict[tuple[str, object], dict] = {}

    def note(self, topic: str, key, rule: str, **facts) -> None:
        """Record that ``rule`` (a pass) decided ``key`` of ``topic``; ``facts`` are
        plain values (names, numbers, snapshots), never live objects of the pass."""
        self.notes[(topic, key)] = {"rule": rule, "seq": len(self.notes), **facts}

    def get(self, topic: str, key) -> dict | None:
        return self.notes.get((topic, key))

    def of(self, topic: str) -> list[tuple[object, dict]]:
        """(key, facts) of every note on ``topic``, in the order they were made."""
        return [(k, v) for (t, k), v in self.notes.items() if t == topic]
