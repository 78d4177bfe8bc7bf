import pytest
from django.core.exceptions import ValidationError

from geo_cm.registry import registry
from geo_cm.state import StateMachine
from toilets.models import ToiletStatus


def test_every_layer_has_a_machine_covering_its_choices():
    for layer in registry.all():
        machine = layer.status_machine
        assert machine is not None, layer.slug
        field_choices = {v for v, _ in layer.model._meta.get_field(layer.status_field).choices}
        assert set(machine.states) == field_choices, layer.slug
        assert machine.initial in machine.states


def test_allowed_transition_passes_and_forbidden_one_names_the_way_out():
    machine = registry.get("toilets").status_machine
    machine.check("planned", "under_construction")
    with pytest.raises(ValidationError) as info:
        machine.check("planned", "open")
    message = info.value.message_dict["status"][0]
    assert "planned" in message and "open" in message and "under_construction" in message


def test_final_state_allows_nothing():
    machine = registry.get("toilets").status_machine
    with pytest.raises(ValidationError):
        machine.check("removed", "open")


def test_unknown_status_is_rejected():
    with pytest.raises(ValidationError) as info:
        registry.get("street-lights").status_machine.check("working", "exploded")
    assert "exploded" in info.value.message_dict["status"][0]


def test_table_with_unknown_state_fails_at_declaration():
    with pytest.raises(ValueError, match="unknown states"):
        StateMachine.build(ToiletStatus, {"planned": ["teleported"]}, initial="planned")
