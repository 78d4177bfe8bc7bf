from geo_cm.checks import check_layer
from geo_cm.registry import Layer, registry
from toilets.models import Toilet


def _ids(layer):
    return {e.id for e in check_layer(layer)}


def test_registered_layers_pass_the_check():
    for layer in registry.all():
        assert check_layer(layer) == [], layer.slug


def test_unknown_public_field_is_reported_with_a_fix():
    layer = Layer(
        slug="bad",
        model=Toilet,
        title_zh="x",
        title_en="x",
        public_fields=("name", "nonsense"),
        staff_fields=("name",),
        status_colors=registry.get("toilets").status_colors,
    )
    errors = check_layer(layer)
    assert "geocm.E005" in {e.id for e in errors}
    assert any("nonsense" in e.msg and e.hint for e in errors)


def test_public_field_missing_from_staff_fields_is_a_leak():
    layer = Layer(
        slug="bad",
        model=Toilet,
        title_zh="x",
        title_en="x",
        public_fields=("name",),
        staff_fields=("code",),
        status_colors=registry.get("toilets").status_colors,
    )
    assert "geocm.E006" in _ids(layer)


def test_missing_status_colour_and_wrong_geometry_field():
    layer = Layer(
        slug="Bad Slug",
        model=Toilet,
        title_zh="x",
        title_en="x",
        geometry_field="name",
        status_colors={"open": "#000"},
    )
    assert {"geocm.E001", "geocm.E003", "geocm.E010"} <= _ids(layer)


def test_popup_field_of_public_layer_must_be_public():
    layer = Layer(
        slug="bad",
        model=Toilet,
        title_zh="x",
        title_en="x",
        public=True,
        public_fields=("name",),
        staff_fields=("name", "manager_phone"),
        popup_fields=("manager_phone",),
        status_colors=registry.get("toilets").status_colors,
    )
    assert "geocm.E011" in _ids(layer)
