"""Forms of the import pages. Every choice is from a closed list, so a bad value is a form
error naming the field, never an exception further down."""

from django import forms
from django.utils.translation import gettext_lazy as _

from geo_cm.models import Subdistrict

from .crs import ALLOWED
from .models import ImportRecord

ENCODINGS = [
    ("", _("detect (.cpg, then UTF-8, then GBK/GB18030)")),
    ("UTF-8", "UTF-8"),
    ("CP936", "GBK (CP936)"),
    ("GB18030", "GB18030"),
    ("BIG5", "Big5"),
]
OFFSETS = [
    ("", _("none: WGS 84 or CGCS2000 as the file says")),
    ("gcj02", _("GCJ-02 (Amap, Tencent)")),
    ("bd09", _("BD-09 (Baidu)")),
]


def crs_choices():
    return [("", _("from the file's .prj"))] + [
        (str(c.epsg), f"EPSG:{c.epsg} {c.title}") for c in ALLOWED.values()
    ]


class ReadOptionsForm(forms.Form):
    """How to read the file: the overrides a GIS technician may need."""

    encoding = forms.ChoiceField(label=_("Text encoding"), choices=ENCODINGS, required=False)
    crs = forms.ChoiceField(label=_("Coordinate system"), choices=crs_choices, required=False)
    offset = forms.ChoiceField(label=_("Coordinate offset"), choices=OFFSETS, required=False)


class UploadForm(ReadOptionsForm):
    layer = forms.ChoiceField(label=_("Layer"))
    file = forms.FileField(label=_("File"))

    field_order = ["layer", "file", "encoding", "crs", "offset"]

    def __init__(self, *args, layers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layer"].choices = [(lay.slug, lay.title) for lay in layers]


CONSTANT = "="


class ImportOptionsForm(ReadOptionsForm):
    """The inspection page: read options, the mode and the field mapping. Each model field
    has a source ``map__<field>`` (a column, one value for every row, or not imported) and
    a value ``value__<field>`` (the value for every row, or for the column's empty cells).
    """

    source_layer = forms.ChoiceField(label=_("Layer in the file"), required=False)
    mode = forms.ChoiceField(label=_("Mode"), choices=ImportRecord.Mode.choices)
    subdistrict = forms.ChoiceField(label=_("Subdistrict replaced"), required=False)
    repair = forms.BooleanField(label=_("Repair invalid geometries (MakeValid)"), required=False)
    centroids = forms.BooleanField(
        label=_("Into a point layer: a point inside each line or polygon"), required=False
    )

    field_order = ["source_layer", "encoding", "crs", "offset", "mode", "subdistrict",
                   "repair", "centroids"]  # fmt: skip

    def __init__(self, *args, fields=(), columns=(), layers=(), allow_all=False, required=(),
                 **kwargs):  # fmt: skip
        mapping = kwargs.pop("mapping", None) or {}
        initial = dict(kwargs.pop("initial", None) or {})
        for name, spec in mapping.items():
            if isinstance(spec, dict) and "constant" in spec:
                initial[f"map__{name}"], initial[f"value__{name}"] = CONSTANT, spec["constant"]
            elif isinstance(spec, dict):
                initial[f"map__{name}"] = spec.get("column")
                initial[f"value__{name}"] = spec.get("default")
            else:
                initial[f"map__{name}"] = spec
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["subdistrict"].choices = [("", "—")] + [
            (s.code, f"{s.name} ({s.code})") for s in Subdistrict.objects.order_by("code")
        ]
        layer_choices = [(layer.name, layer.label()) for layer in layers]
        if allow_all:
            layer_choices.append(("*", _("all layers together")))
        self.fields["source_layer"].choices = [("", "—")] + layer_choices
        self.has_layers = bool(layers)
        self.required_names = set(required)
        column_choices = [
            ("", _("(not imported: unknown for new records)")),
            (CONSTANT, _("= one value for every row")),
        ] + [(c, c) for c in columns]
        for f in fields:
            label = f"{f.verbose_name} ({f.name})"
            if f.name in self.required_names:
                label += " *"
            self.fields[f"map__{f.name}"] = forms.ChoiceField(
                label=label, choices=column_choices, required=False
            )
            self.fields[f"value__{f.name}"] = forms.CharField(
                label=_("value for %(field)s") % {"field": f.verbose_name},
                required=False,
                max_length=200,
            )
            self.fields[f"value__{f.name}"].widget.attrs["placeholder"] = _(
                "value (for every row, or for empty cells)"
            )
            if f.choices:
                self.fields[f"value__{f.name}"].widget.attrs["list"] = f"choices-{f.name}"
        self.choice_lists = [
            (f.name, [str(label) for value, label in f.flatchoices if value != ""])
            for f in fields
            if f.choices
        ]

    def clean(self):
        data = super().clean()
        if data.get("mode") == "replace" and not data.get("subdistrict"):
            self.add_error("subdistrict", _("Replacing needs the subdistrict to replace."))
        for name in list(data):
            if name.startswith("map__") and data[name] == CONSTANT:
                field = name[len("map__") :]
                if not (data.get(f"value__{field}") or "").strip():
                    self.add_error(f"value__{field}", _("Give the value for every row."))
        return data

    def mapping(self) -> dict:
        """The mapping as import_file takes it (column, column with default, or constant)."""
        out = {}
        for name, source in self.cleaned_data.items():
            if not name.startswith("map__") or not source:
                continue
            field = name[len("map__") :]
            value = (self.cleaned_data.get(f"value__{field}") or "").strip()
            if source == CONSTANT:
                out[field] = {"constant": value}
            elif value:
                out[field] = {"column": source, "default": value}
            else:
                out[field] = source
        return out

    def mapping_fields(self):
        """(source select, value input) per model field."""
        return [
            (self[name], self[f"value__{name[len('map__') :]}"])
            for name in self.fields
            if name.startswith("map__")
        ]

    def option_fields(self):
        return [
            self[name]
            for name in self.fields
            if not name.startswith(("map__", "value__"))
            and (name != "source_layer" or self.has_layers)
        ]
