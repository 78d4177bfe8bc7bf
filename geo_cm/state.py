"""Explicit state machines for asset status fields.

A machine is a table of allowed transitions. It is declared next to the model it governs
and enforced in one place, `geo_cm.assets` (`rules.status_change_check`); nothing writes a status
field directly.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class StateMachine:
    """Allowed status transitions: ``transitions[from_state]`` is the set of reachable states."""

    choices: type  # a models.TextChoices class
    transitions: Mapping[str, frozenset[str]]
    initial: str

    @classmethod
    def build(cls, choices, table: Mapping[str, Iterable[str]], *, initial: str):
        frozen = {str(k): frozenset(str(v) for v in vs) for k, vs in table.items()}
        machine = cls(choices=choices, transitions=frozen, initial=str(initial))
        machine.validate()
        return machine

    @property
    def states(self) -> list[str]:
        return [str(v) for v in self.choices.values]

    def label(self, state: str) -> str:
        return str(dict(self.choices.choices).get(state, state))

    def allowed(self, state: str) -> frozenset[str]:
        return self.transitions.get(state, frozenset())

    def validate(self) -> None:
        """Raise ValueError when the table names a state the choices do not have."""
        known = set(self.states)
        named = set(self.transitions) | {s for vs in self.transitions.values() for s in vs}
        unknown = named - known
        if unknown or self.initial not in known:
            raise ValueError(f"State table names unknown states: {sorted(unknown)}")

    def check(self, current: str, target: str) -> None:
        """Raise ValidationError (on the ``status`` field) unless current -> target is allowed."""
        if target not in self.states:
            raise ValidationError(
                {
                    "status": _("Unknown status '%(target)s'. Allowed values: %(values)s.")
                    % {"target": target, "values": ", ".join(self.states)}
                }
            )
        if target == current:
            return
        if target not in self.allowed(current):
            allowed = ", ".join(sorted(self.allowed(current))) or _("none (final state)")
            raise ValidationError(
                {
                    "status": _(
                        "Status cannot change from '%(current)s' to '%(target)s'. "
                        "From '%(current)s' it may change to: %(allowed)s."
                    )
                    % {"current": current, "target": target, "allowed": allowed}
                }
            )
