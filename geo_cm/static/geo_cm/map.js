/* Overview map: every layer the registry lets this user see, coloured by status.
 *
 * Small layers arrive as one GeoJSON page; large ones (more records than the server's
 * MAP_TILED_ABOVE) as vector tiles drawn by protomaps-leaflet, with grid clusters at low
 * zoom, so the page loads the same few hundred kilobytes whether the district has three
 * thousand street lights or a million. A click on a tiled feature fetches that one
 * feature for its popup; a click on a cluster zooms in.
 */
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
  var english = (document.documentElement.lang || "").indexOf("en") === 0;
  // Exposed for tests and for the other pages that reuse the map.
  window.geocmLayers = {};   // slug -> number of records (the layer's, not only those drawn)
  window.geocmGroups = {};   // slug -> the Leaflet layer (GeoJSON group or vector-tile grid)
  window.geocmTiles = {};    // slug -> {tiles: loaded, drawn: features and clusters painted}
  window.geocmMap = map;
  var bySlug = {};
  config.layers.forEach(function (layer) { bySlug[layer.slug] = layer; });

  // The legend folds away; on a phone it starts folded so the map keeps the screen.
  var details = document.getElementById("legend-details");
  if (details && window.matchMedia && window.matchMedia("(max-width: 600px)").matches) {
    details.open = false;
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function formatCount(n) {
    return Number(n).toLocaleString(english ? "en" : "zh-CN");
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

  function coloursOf(layer) {
    var colours = {};
    layer.statuses.forEach(function (s) { colours[s.value] = s.color; });
    return colours;
  }

  function colourOf(layer) {
    var colours = coloursOf(layer);
    return function (feature) { return colours[feature.properties[layer.statusField]] || "#3388ff"; };
  }

  function countText(layer) {
    return " (" + (layer.countExact ? "" : text.about) + formatCount(layer.count) + ")";
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
    count.textContent = layer.tiles ? countText(layer) : " (" + text.loading + ")";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + layer.title));
    label.appendChild(count);
    if (layer.tiles) {
      var badge = document.createElement("span");
      badge.className = "tiled";
      badge.title = text.tiledHint;
      badge.textContent = text.tiled;
      label.appendChild(badge);
    }
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

  // --- Fetching one feature (popups of tiled layers, search results) -----------------

  function fetchFeature(layer, id) {
    return fetch(layer.items + "/" + encodeURIComponent(id), {
      headers: { Accept: "application/geo+json" }, credentials: "same-origin"
    }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function featureLatLng(feature, fallback) {
    var g = feature.geometry;
    if (g && g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]);
    if (fallback) return fallback;
    return L.geoJSON(feature).getBounds().getCenter();
  }

  var popup = L.popup({ maxWidth: 320 });
  window.geocmPopupFeature = null;

  function openFeaturePopup(layer, id, latlng) {
    popup.setLatLng(latlng).setContent(escapeHtml(text.loading)).openOn(map);
    return fetchFeature(layer, id).then(function (feature) {
      popup.setLatLng(featureLatLng(feature, latlng)).setContent(popupHtml(layer, feature));
      window.geocmPopupFeature = { slug: layer.slug, id: feature.id, code: feature.properties.code };
      return feature;
    }).catch(function () {
      popup.setContent(escapeHtml(text.failed));
    });
  }

  // --- Vector-tile layers ----------------------------------------------------------

  function dominantStatus(layer, props) {
    var best = null;
    var most = 0;
    layer.statuses.forEach(function (s) {
      var n = props["n_" + s.value] || 0;
      if (n > most) { most = n; best = s.value; }
    });
    return best;
  }

  function shortCount(n) {
    if (n >= 1000000) return (n / 1000000).toFixed(1).replace(/\.0$/, "") + "M";
    if (n >= 10000) return Math.round(n / 1000) + "k";
    if (n >= 1000) return (n / 1000).toFixed(1).replace(/\.0$/, "") + "k";
    return String(n);
  }

  // Paint rules for protomaps-leaflet: a symbolizer is anything with draw(ctx, geom, z, f).
  function tileSymbolizer(layer, stats) {
    var colours = coloursOf(layer);
    var kind = layer.geometry.indexOf("POINT") >= 0 ? "point"
      : layer.geometry.indexOf("LINE") >= 0 ? "line" : "polygon";
    function colour(status) { return colours[status] || "#3388ff"; }
    return {
      draw: function (ctx, geom, z, feature) {
        var props = feature.props;
        stats.drawn += 1;
        if (kind === "point") {
          var pt = geom[0][0];
          var n = props.count || 1;
          ctx.beginPath();
          if (n > 1) {
            // A cluster: area grows with the count, coloured by its commonest status.
            var r = Math.min(20, 7 + 2.2 * Math.log(n));
            ctx.arc(pt.x, pt.y, r, 0, 2 * Math.PI);
            ctx.globalAlpha = 0.85;
            ctx.fillStyle = colour(dominantStatus(layer, props));
            ctx.fill();
            ctx.globalAlpha = 1;
            ctx.lineWidth = 2;
            ctx.strokeStyle = "#ffffff";
            ctx.stroke();
            ctx.fillStyle = "#ffffff";
            ctx.font = "bold 11px sans-serif";
            ctx.textAlign = "center";
            ctx.textBaseline = "middle";
            ctx.fillText(shortCount(n), pt.x, pt.y);
            return;
          }
          var status = props[layer.statusField] || dominantStatus(layer, props);
          ctx.arc(pt.x, pt.y, z >= 15 ? 5 : z >= 13 ? 3.5 : 2.5, 0, 2 * Math.PI);
          ctx.fillStyle = colour(status);
          ctx.fill();
          if (z >= 13) {  // outlines only where the dots stand apart
            ctx.lineWidth = z >= 15 ? 1 : 0.5;
            ctx.strokeStyle = "#222222";
            ctx.stroke();
          }
          return;
        }
        ctx.beginPath();
        geom.forEach(function (ring) {
          ring.forEach(function (p, i) { if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
        });
        var c = colour(props[layer.statusField]);
        if (kind === "line") {
          ctx.lineWidth = z >= 14 ? 4 : 2.5;
          ctx.lineCap = "round";
          ctx.lineJoin = "round";
          ctx.strokeStyle = c;
          ctx.globalAlpha = 0.85;
          ctx.stroke();
          ctx.globalAlpha = 1;
        } else {
          ctx.globalAlpha = 0.35;
          ctx.fillStyle = c;
          ctx.fill("evenodd");
          ctx.globalAlpha = 0.8;
          ctx.lineWidth = 0.6;
          ctx.strokeStyle = c;
          ctx.stroke();
          ctx.globalAlpha = 1;
        }
      }
    };
  }

  // Tiled points above the GeoJSON layers' canvas (overlayPane, 400), tiled lines and
  // areas below it, so a street light is never hidden under a road.
  map.createPane("tiled-points").style.zIndex = 450;
  map.createPane("tiled-shapes").style.zIndex = 390;

  function tiledLayer(layer) {
    var stats = { tiles: 0, drawn: 0 };
    window.geocmTiles[layer.slug] = stats;
    var grid = protomapsL.leafletLayer({
      url: layer.tiles,
      paintRules: [{ dataLayer: layer.slug, symbolizer: tileSymbolizer(layer, stats) }],
      labelRules: [],
      attribution: "",
      // Data tiles up to zoom 16 (0.15 m a tile unit); deeper views scale them.
      maxDataZoom: 16,
      pane: layer.geometry.indexOf("POINT") >= 0 ? "tiled-points" : "tiled-shapes"
    });
    grid.on("tileload", function () { stats.tiles += 1; });
    // Every tile in view drawn (Leaflet's GridLayer "load"): when the map is complete.
    grid.on("load", function () { stats.loads = (stats.loads || 0) + 1; });
    grid.geocmTiled = true;
    return grid;
  }

  function pickTiled(latlng, maxBrush) {
    // What is under the pointer in the tiled layers shown: the smallest search radius
    // that finds something wins (the nearest feature), points and clusters before lines
    // before areas (they are drawn above them).
    var shown = config.layers.filter(function (layer) {
      var grid = window.geocmGroups[layer.slug];
      return layer.tiles && grid && map.hasLayer(grid);
    });
    var brushes = [3, 8, 14, 20].filter(function (b) { return b <= maxBrush; });
    for (var b = 0; b < brushes.length; b++) {
      var best = null;
      shown.forEach(function (layer) {
        var grid = window.geocmGroups[layer.slug];
        var picked = grid.queryTileFeaturesDebug(latlng.lng, latlng.lat, brushes[b]).get("") || [];
        picked.forEach(function (p) {
          if (p.layerName !== layer.slug) return;
          var rank = p.feature.geomType;  // 1 point, 2 line, 3 polygon
          if (!best || rank < best.rank) best = { layer: layer, feature: p.feature, rank: rank };
        });
      });
      if (best) return best;
    }
    return null;
  }

  // A click on the tiled layers: the feature's popup (fetched), or a closer look at a
  // cluster. Returns whether something tiled was there.
  function clickTiled(latlng, maxBrush) {
    var hit = pickTiled(latlng, maxBrush);
    if (!hit) return false;
    var props = hit.feature.props;
    if (props.id !== undefined && props.id !== null) {
      openFeaturePopup(hit.layer, props.id, latlng);
    } else if ((props.count || 0) > 1) {
      map.closePopup();
      map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom() || 19));
    }
    return true;
  }

  map.on("click", function (e) { clickTiled(e.latlng, 20); });

  // --- Boundary ----------------------------------------------------------------------

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

  // --- Layers ------------------------------------------------------------------------

  // ?layer=toilets (e.g. from an import's result): that layer alone, zoomed to its records.
  var query = new URLSearchParams(window.location.search);
  var focus = query.get("layer");
  if (!bySlug[focus]) focus = null;

  // ?plan=&target= or ?import= ask for records drawn highlighted above the layers. The
  // highlight frames the map, not the layer: whichever of the two loads last, the view
  // ends on the highlighted records (the layer's framing waits, and is used only when the
  // highlight fails or has nothing to show).
  var mapElement = document.getElementById("map");
  var targetUrl = mapElement.dataset.planTargetUrl;
  var importUrl = mapElement.dataset.importRecordsUrl;
  var importId = /^[0-9]+$/.test(query.get("import") || "") ? query.get("import") : null;
  var planWanted = Boolean(query.get("plan") && query.get("target") && targetUrl);
  var importWanted = Boolean(!planWanted && importId && importUrl);
  var framing = planWanted || importWanted ? "waiting" : "free";  // then "highlight"
  var layerFraming = null;  // the layer's framing, held while the highlight loads
  window.geocmFramedBy = null;

  function fitTo(bounds, by) {
    // The legend floats over the map (on the right on a desktop, at the bottom on a
    // phone): keep what is framed out from under it.
    var right = 30;
    var bottom = 30;
    var panel = document.getElementById("legend");
    if (panel) {
      var box = panel.getBoundingClientRect();
      var area = mapElement.getBoundingClientRect();
      if (box.width < area.width / 2) right += Math.max(0, area.right - box.left);
      else bottom += Math.max(0, area.bottom - box.top);
    }
    map.fitBounds(bounds, {
      paddingTopLeft: [30, 30], paddingBottomRight: [right, bottom], maxZoom: 16
    });
    window.geocmFramedBy = by;
  }

  function frameForLayer(bounds) {
    if (framing === "free") fitTo(bounds, "layer");
    else if (framing === "waiting") layerFraming = bounds;
  }

  function highlightFramed(bounds) {
    if (bounds && bounds.isValid()) {
      framing = "highlight";
      fitTo(bounds, "highlight");
    } else {
      framing = "free";
      if (layerFraming) fitTo(layerFraming, "layer");
    }
    layerFraming = null;
  }

  function fitLayer(layer, group) {
    if (!layer.tiles) {
      if (group.getLayers().length) frameForLayer(group.getBounds());
      return;
    }
    fetch(layer.tilejson, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (tilejson) {
        var b = tilejson.bounds;
        if (b) frameForLayer(L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]));
      });
  }

  config.layers.forEach(function (layer) {
    var shown = focus ? focus === layer.slug : layer.visible;
    if (layer.tiles) {
      var grid = tiledLayer(layer);
      if (shown) grid.addTo(map);
      window.geocmGroups[layer.slug] = grid;
      addLegendEntry(layer, grid, shown);
      window.geocmLayers[layer.slug] = layer.count;
      if (focus === layer.slug) fitLayer(layer, grid);
      return;
    }
    var colour = colourOf(layer);
    var dense = false;  // hundreds of points: smaller dots keep the district readable
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
    // A GeoJSON feature's popup stops the click before the map sees it: a tiled point
    // drawn over the feature (tiled points have the higher pane) still takes it.
    group.on("click", function (e) { clickTiled(e.latlng, 8); });
    if (shown) group.addTo(map);
    window.geocmGroups[layer.slug] = group;
    var count = addLegendEntry(layer, group, shown);
    // One page: a layer this small fits in it (larger ones are tiled), no next links.
    fetch(layer.items + "?limit=" + layer.pageLimit, {
      headers: { Accept: "application/geo+json" }, credentials: "same-origin"
    })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (page) {
        var features = page.features;
        dense = features.length > 500;
        group.addData(page);
        count.textContent = " (" + formatCount(features.length) + ")";
        window.geocmLayers[layer.slug] = features.length;
        if (focus === layer.slug) fitLayer(layer, group);
      }).catch(function () {
        count.textContent = " (" + text.failed + ")";
        window.geocmLayers[layer.slug] = -1;
      });
  });

  // --- Search by code or name --------------------------------------------------------

  var searchForm = document.getElementById("map-search");
  var searchInput = document.getElementById("map-search-input");
  var results = document.getElementById("map-search-results");
  var searchSeq = 0;
  var searched = null;  // the words the results listed are for
  window.geocmSearch = null;

  function cqlText(value) { return "'" + value.replace(/'/g, "''") + "'"; }

  function searchLayer(layer, words) {
    var pattern = cqlText("%" + words + "%");
    var filter = layer.search.map(function (field) {
      return "CASEI(" + field + ") LIKE CASEI(" + pattern + ")";
    }).join(" OR ");
    var url = layer.items + "?limit=5&properties=" + layer.search.join(",") +
      "&filter=" + encodeURIComponent(filter);
    return fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (page) {
        return page.features.map(function (f) { return { layer: layer, feature: f }; });
      })
      .catch(function () { return []; });
  }

  function showFound(hit) {
    var layer = hit.layer;
    var group = window.geocmGroups[layer.slug];
    if (group && !map.hasLayer(group)) {
      group.addTo(map);
      var box = list.querySelector("input[data-layer='" + layer.slug + "']");
      if (box) box.checked = true;
    }
    var feature = hit.feature;
    if (feature.geometry && feature.geometry.type === "Point") {
      map.setView(featureLatLng(feature), Math.max(map.getZoom(), 17));
    } else if (feature.geometry) {
      map.fitBounds(L.geoJSON(feature).getBounds(), { padding: [40, 40], maxZoom: 17 });
    }
    openFeaturePopup(layer, feature.id, featureLatLng(feature));
  }

  function runSearch(words) {
    var seq = ++searchSeq;
    searched = words;
    results.innerHTML = "";
    if (words.length < 2) { window.geocmSearch = null; return; }
    var searchable = config.layers.filter(function (l) { return l.search.length; });
    window.geocmSearch = "searching";
    Promise.all(searchable.map(function (l) { return searchLayer(l, words); })).then(function (all) {
      if (seq !== searchSeq) return;
      var hits = [].concat.apply([], all);
      results.innerHTML = "";
      if (!hits.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = text.noMatch;
        results.appendChild(none);
      }
      hits.slice(0, 12).forEach(function (hit) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        var p = hit.feature.properties;
        button.textContent = (p.code || "") + (p.name ? " " + p.name : "");
        var small = document.createElement("small");
        small.textContent = " · " + hit.layer.title;
        button.appendChild(small);
        button.addEventListener("click", function () { showFound(hit); });
        li.appendChild(button);
        results.appendChild(li);
      });
      window.geocmSearch = hits.length;
    });
  }

  if (searchForm) {
    var timer = null;
    searchInput.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { runSearch(searchInput.value.trim()); }, 300);
    });
    searchForm.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      // Enter on results already listed for these words opens the first; else search now.
      var words = searchInput.value.trim();
      var first = results.querySelector("button");
      if (first && searched === words && window.geocmSearch) first.click(); else runSearch(words);
    });
  }

  // --- Highlights: a plan target's records, an import's records ----------------------

  var highlightNote = null;
  function noteShow(textValue) {
    // Above the folded legend, so a phone shows what is highlighted without unfolding it.
    if (!highlightNote) {
      highlightNote = document.createElement("p");
      highlightNote.className = "highlight-note";
      var legend = document.getElementById("legend");
      legend.insertBefore(highlightNote, details || list);
    }
    highlightNote.innerHTML = "<span class='swatch swatch-highlight'></span>";
    highlightNote.appendChild(document.createTextNode(textValue));
  }

  function drawHighlight(records, popupOf) {
    map.createPane("highlight").style.zIndex = 650;  // above tiled points (450)
    var group = L.geoJSON(records, {
      pane: "highlight",
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          pane: "highlight", radius: 9, color: "#ff6f00", weight: 3,
          fillColor: "#ffeb3b", fillOpacity: 0.9, bubblingMouseEvents: false
        });
      },
      style: function () {
        return { color: "#ff6f00", weight: 8, opacity: 0.9, bubblingMouseEvents: false };
      },
      onEachFeature: function (feature, lyr) { lyr.bindPopup(popupOf(feature)); }
    }).addTo(map);
    window.geocmHighlightGroup = group;
    return group;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function highlightFailed() {
    noteShow(text.failed);
    window.geocmHighlight = -1;
    highlightFramed(null);
  }

  // ?plan=2023&target=P1[&today=…] (links from the plans dashboard): draw the records that
  // count for the target above every layer, and zoom to them.
  if (planWanted) {
    window.geocmHighlight = null;
    var url = targetUrl.replace(/0\/targets\/_$/, encodeURIComponent(query.get("plan")) +
      "/targets/" + encodeURIComponent(query.get("target")));
    if (query.get("today")) url += "?today=" + encodeURIComponent(query.get("today"));
    noteShow(text.loading);
    fetchJson(url).then(function (body) {
      var records = body.records || { type: "FeatureCollection", features: [] };
      var group = drawHighlight(records, function (feature) {
        var p = feature.properties;
        return "<strong>" + escapeHtml(p.code) + "</strong> " +
          escapeHtml(p.name || "") + "<br>" + escapeHtml(p.subdistrict_name || "") +
          " · " + escapeHtml(p.date || "—");
      });
      var progress = body.progress;
      noteShow(progress.code + " " + (english ? progress.title_en : progress.title_zh) + ": " +
        records.features.length + " " + text.highlighted);
      window.geocmHighlight = records.features.length;
      highlightFramed(records.features.length ? group.getBounds() : null);
    }).catch(highlightFailed);
  }

  // ?import=42 (the link on an import's result page): the records that import created or
  // changed, above its layer (GeoJSON or tiles), the map framed on all of them (the
  // server's extent: a large import draws only its first records but frames them all).
  if (importWanted) {
    window.geocmHighlight = null;
    noteShow(text.loading);
    fetchJson(importUrl.replace(/\/0\/records$/, "/" + importId + "/records")).then(function (body) {
      var layer = bySlug[body["import"].layer];
      drawHighlight(body.records, function (feature) {
        var p = feature.properties;
        var status = layer ? display(layer, layer.statusField, p.status) : p.status;
        return "<strong>" + escapeHtml(p.code) + "</strong> " + escapeHtml(p.name || "") +
          "<br>" + escapeHtml(layer ? layer.title : body["import"].layer_title) + " · " +
          escapeHtml(status || "—");
      });
      var label = text.importRecords.replace("{n}", formatCount(body.count));
      if (body.shown < body.count) {
        label += text.importShown.replace("{shown}", formatCount(body.shown));
      }
      noteShow(label);
      window.geocmHighlight = body.shown;
      window.geocmHighlightCount = body.count;
      var e = body.extent;
      highlightFramed(e ? L.latLngBounds([[e[1], e[0]], [e[3], e[2]]]) : null);
    }).catch(highlightFailed);
  }
})();
