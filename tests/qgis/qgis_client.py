"""QGIS's own OGC API - Features client, driven headless; run with Debian's /usr/bin/python3.

The project's .venv cannot import ``qgis`` (Debian's python3-qgis is built for the system
interpreter), so tests run this file in a subprocess and read one JSON document from its
standard output:

    /usr/bin/python3 qgis_client.py list URL [USER PASSWORD]
        the layers QGIS's browser finds behind the connection (as the Add Layer dialog)
    /usr/bin/python3 qgis_client.py read URL COLLECTION [USER PASSWORD] [SUBSET]
        the layer as QGIS loads it: validity, CRS, fields and features (WKT)
"""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsProviderRegistry, QgsSettings, QgsVectorLayer  # noqa: E402

CONNECTION = "geocm"


def _list(url, user="", password=""):
    settings = QgsSettings()
    settings.setValue(f"qgis/connections-wfs/{CONNECTION}/url", url)
    settings.setValue(f"qgis/connections-wfs/{CONNECTION}/version", "OGC_API_FEATURES")
    settings.setValue(f"qgis/WFS/{CONNECTION}/username", user)
    settings.setValue(f"qgis/WFS/{CONNECTION}/password", password)
    provider = QgsProviderRegistry.instance().dataItemProviders("WFS")[0]
    root = provider.createDataItem("", None)
    layers = []
    for connection in root.createChildren():
        if connection.name() != CONNECTION:
            continue
        for item in connection.createChildren():
            layers.append({"title": item.name(), "uri": item.uri()})
    return {"layers": layers}


def _read(url, collection, user="", password="", subset=""):
    uri = f"url='{url}' typename='{collection}'"
    if user:
        uri += f" username='{user}' password='{password}'"
    layer = QgsVectorLayer(uri, collection, "OAPIF")
    if subset:
        layer.setSubsetString(subset)
    features = [
        {
            "attributes": {
                field.name(): (None if value is None else str(value))
                for field, value in zip(layer.fields(), feature.attributes(), strict=True)
            },
            "wkt": feature.geometry().asWkt(9),
        }
        for feature in layer.getFeatures()
    ]
    return {
        "valid": layer.isValid(),
        "crs": layer.crs().authid(),
        "fields": [field.name() for field in layer.fields()],
        "features": features,
        "editable": bool(layer.dataProvider().capabilities() & layer.dataProvider().AddFeatures),
    }


def main(argv):
    app = QgsApplication([], False)
    app.initQgis()
    command, *args = argv
    result = _list(*args) if command == "list" else _read(*args)
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
    sys.stdout.flush()
    # QGIS 3.22 may crash while tearing down its providers; the answer is already out.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
