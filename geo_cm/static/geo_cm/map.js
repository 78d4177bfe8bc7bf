/* Overview map: draws every layer the registry lets this user see, coloured by status. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var map = L.map("map", { preferCanvas: true }).setView(config.center, config.zoom);
  var base = config.basemap;
  if (base) {
    var tileOptions = { attribution: base.attribution, maxZoom: base.maxZoom };
    if (base.subdomains) tileOptions.subdomains = base.subdomains;
    L.tileLayer(base.url, tileOptions).addTo(map);
    if (base.labels) L.tileLayer(base.labels, tileOptions).addTo(map);
  }
  var list = document.getElementById("layer-list");
  // Exposed for tests and for the other pages that reuse the map.
  window.geocmLayers = {};
  window.geocmGroups = {};
  window.geocmMap = map;

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function display(layer, field, value) {
    if (value === null || value === undefined || value === "") return "—";
    if (value === true) return text.yes;
    if (value === false) return text.no;
    var choices = layer.choices[field];
    if (choices && choices[value] !== undefined) return choices[value];
    if (typeof value === "number" && field.slice(-2) === "_m") return value.toFixed(0) + " m";
    return value;
  }

  function popupHtml(layer, feature) {
    var rows = layer.popup.map(function (p) {
      return "<tr><td>" + escapeHtml(p.label) + "</td><td>" +
        escapeHtml(display(layer, p.field, feature.properties[p.field])) + "</td></tr>";
    });
    return "<strong>" + escapeHtml(layer.title) + "</strong> " +
      escapeHtml(feature.properties.code || "") +
      "<table class='popup-table'>" + rows.join("") + "</table>";
  }

  function colourOf(layer) {
    var colours = {};
    layer.statuses.forEach(function (s) { colours[s.value] = s.color; });
    return function (feature) { return colours[feature.properties[layer.statusField]] || "#3388ff"; };
  }

  function addLegendEntry(layer, group, shown) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = shown;
    box.dataset.layer = layer.slug;
    box.addEventListener("change", function () {
      if (box.checked) group.addTo(map); else map.removeLayer(group);
    });
    var count = document.createElement("span");
    count.className = "count";
    count.dataset.countFor = layer.slug;
    count.textContent = " (" + text.loading + ")";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + layer.title));
    label.appendChild(count);
    list.appendChild(label);
    var ul = document.createElement("ul");
    layer.statuses.forEach(function (s) {
      var li = document.createElement("li");
      li.innerHTML = "<span class='swatch' style='background:" + s.color + "'></span>" +
        escapeHtml(s.label);
      ul.appendChild(li);
    });
    list.appendChild(ul);
    return count;
  }

  function loadAll(url, features) {
    return fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (page) {
        features = features.concat(page.features);
        var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
        return next ? loadAll(next.href, features) : features;
      });
  }

  fetch(config.boundary).then(function (r) { return r.json(); }).then(function (areas) {
    L.geoJSON(areas, {
      interactive: false,
      style: function (f) {
        return f.properties.level === "district"
          ? { color: "#0d47a1", weight: 3, fill: false }
          : { color: "#5c6bc0", weight: 1, dashArray: "4 4", fillOpacity: 0.03 };
      }
    }).addTo(map);
  });

  // ?layer=toilets (e.g. from an import's result): that layer alone, zoomed to its records.
  var focus = new URLSearchParams(window.location.search).get("layer");
  if (!config.layers.some(function (l) { return l.slug === focus; })) focus = null;

  config.layers.forEach(function (layer) {
    var colour = colourOf(layer);
    var shown = !focus || focus === layer.slug;
    var dense = false;  // thousands of street lights: smaller dots keep the district readable
    var group = L.geoJSON(null, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: dense ? 3 : 5, color: "#222", weight: dense ? 0.5 : 1,
          fillColor: colour(feature), fillOpacity: 0.9
        });
      },
      style: function (feature) { return { color: colour(feature), weight: 4, opacity: 0.85 }; },
      onEachFeature: function (feature, lyr) { lyr.bindPopup(popupHtml(layer, feature)); }
    });
    if (shown) group.addTo(map);
    window.geocmGroups[layer.slug] = group;
    var count = addLegendEntry(layer, group, shown);
    loadAll(layer.items + "?limit=10000", []).then(function (features) {
      dense = features.length > 500;
      group.addData({ type: "FeatureCollection", features: features });
      count.textContent = " (" + features.length + ")";
      window.geocmLayers[layer.slug] = features.length;
      if (focus === layer.slug && features.length) {
        map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 16 });
      }
    }).catch(function () {
      count.textContent = " (" + text.failed + ")";
      window.geocmLayers[layer.slug] = -1;
    });
  });

  // ?plan=2023&target=P1[&today=…] (links from the plans dashboard): draw the records that
  // count for the target above every layer, and zoom to them.
  var params = new URLSearchParams(window.location.search);
  var targetUrl = document.getElementById("map").dataset.planTargetUrl;
  if (params.get("plan") && params.get("target") && targetUrl) {
    window.geocmHighlight = null;
    var url = targetUrl.replace(/0\/targets\/_$/, encodeURIComponent(params.get("plan")) +
      "/targets/" + encodeURIComponent(params.get("target")));
    if (params.get("today")) url += "?today=" + encodeURIComponent(params.get("today"));
    var note = document.createElement("p");
    note.className = "highlight-note";
    note.textContent = text.loading;
    list.parentNode.insertBefore(note, list);
    map.createPane("highlight").style.zIndex = 650;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (body) {
        var records = body.records || { type: "FeatureCollection", features: [] };
        var group = L.geoJSON(records, {
          pane: "highlight",
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, {
              pane: "highlight", radius: 9, color: "#ff6f00", weight: 3,
              fillColor: "#ffeb3b", fillOpacity: 0.9
            });
          },
          style: function () { return { color: "#ff6f00", weight: 8, opacity: 0.9 }; },
          onEachFeature: function (feature, lyr) {
            var p = feature.properties;
            lyr.bindPopup("<strong>" + escapeHtml(p.code) + "</strong> " +
              escapeHtml(p.name || "") + "<br>" + escapeHtml(p.subdistrict_name || "") +
              " · " + escapeHtml(p.date || "—"));
          }
        }).addTo(map);
        window.geocmHighlightGroup = group;
        var progress = body.progress;
        var english = (document.documentElement.lang || "").indexOf("en") === 0;
        note.textContent = progress.code + " " +
          (english ? progress.title_en : progress.title_zh) + ": " +
          records.features.length + " " + text.highlighted;
        if (records.features.length) {
          map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 16 });
        }
        window.geocmHighlight = records.features.length;
      })
      .catch(function () {
        note.textContent = text.failed;
        window.geocmHighlight = -1;
      });
  }
})();
