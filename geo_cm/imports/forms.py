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


class ImportOptionsForm(ReadOptionsForm):
    """The inspection page: read options, the mode and the field mapping (one select per
    model field, named ``map__<field>``)."""

    mode = forms.ChoiceField(label=_("Mode"), choices=ImportRecord.Mode.choices)
    subdistrict = forms.ChoiceField(label=_("Subdistrict replaced"), required=False)
    repair = forms.BooleanField(label=_("Repair invalid geometries (MakeValid)"), required=False)

    def __init__(self, *args, fields=(), columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].choices = [("", "—")] + [
            (s.code, f"{s.name} ({s.code})") for s in Subdistrict.objects.order_by("code")
        ]
        column_choices = [("", _("(not imported)"))] + [(c, c) for c in columns]
        for f in fields:
            self.fields[f"map__{f.name}"] = forms.ChoiceField(
                label=f"{f.verbose_name} ({f.name})", choices=column_choices, required=False
            )

    def clean(self):
        data = super().clean()
        if data.get("mode") == "replace" and not data.get("subdistrict"):
            self.add_error("subdistrict", _("Replacing needs the subdistrict to replace."))
        return data

    def mapping(self) -> dict[str, str]:
        return {
            name[len("map__") :]: column
            for name, column in self.cleaned_data.items()
            if name.startswith("map__") and column
        }

    def mapping_fields(self):
        return [self[name] for name in self.fields if name.startswith("map__")]

    def option_fields(self):
        return [self[name] for name in self.fields if not name.startswith("map__")]
