/* Planners' coverage map. Colours keep their meaning apart: subdistricts are shaded in
   blues by the share of people covered, service gaps are hatched in red over them, the
   service area is outlined in green, counted facilities are white dots and proposed sites
   numbered black markers. A legend on the map says so. Choosing a subdistrict zooms to
   it and draws only its facilities and gaps; the table keeps every subdistrict and the
   district's own figures. */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("cov-config").textContent);
  var T = JSON.parse(document.getElementById("cov-text").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var map = L.map("cov-map", { zoomSnap: 0.25 }).setView([32.05, 118.62], 11);
  if (C.basemap) {
    L.tileLayer(C.basemap.url, { attribution: C.basemap.attribution, maxZoom: C.basemap.maxZoom,
      subdomains: C.basemap.subdomains || "abc" }).addTo(map);
  }
  // Panes stack what is drawn: shading at the bottom, outlines and gaps above it, then
  // the facilities, then the proposed sites (Leaflet's marker pane).
  map.createPane("cov-shade").style.zIndex = 350;
  map.createPane("cov-lines").style.zIndex = 420;
  map.getPane("cov-lines").style.pointerEvents = "none";
  map.createPane("cov-points").style.zIndex = 450;

  var SHADES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var NO_DATA = "#d9d9d9";
  var GAP_STYLE = { color: "#b30000", weight: 1, fillColor: "url(#cov-gap-hatch)", fillOpacity: 1 };
  var SERVICE_STYLE = { color: "#238b45", weight: 2, fill: false };
  var DARK_STYLE = { color: "#d50000", weight: 5, opacity: 0.9 };

  var areas = null;
  var subdistrictShapes = L.geoJSON(null, { pane: "cov-shade" }).addTo(map);
  var outlines = L.geoJSON(null, { pane: "cov-lines", interactive: false }).addTo(map);
  var result = L.geoJSON(null).addTo(map);
  var facilities = L.geoJSON(null, {
    pane: "cov-points",
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { pane: "cov-points", radius: 4.5, color: "#212121",
        weight: 1.5, fillColor: "#ffffff", fillOpacity: 1 });
    }
  }).addTo(map);
  var sites = L.layerGroup().addTo(map);
  window.geocmCoverageMap = map;  // for tests
  var SEP = C.english ? "; " : "；";
  function aside(text) { return C.english ? " (" + text + ")" : "（" + text + "）"; }
  var names = {};
  C.subdistricts.forEach(function (s) { names[s.code] = s.name; });
  window.covState = { loaded: false };
  var seq = 0;  // the latest analysis; answers to earlier ones are dropped

  C.layers.forEach(function (l) { $("cov-layer").add(new Option(l.title, l.slug)); });
  C.subdistricts.forEach(function (s) { $("cov-sub").add(new Option(s.name, s.code)); });
  function layer() { return C.layers.filter(function (l) { return l.slug === $("cov-layer").value; })[0]; }
  function ruleDistance() { var l = layer(); return l ? l.rule.distance_m : 500; }
  $("cov-layer").addEventListener("change", function () { $("cov-radius").value = ruleDistance(); });
  $("cov-radius").value = ruleDistance();

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(n) { return n == null ? "—" : Number(n).toLocaleString(C.english ? "en" : "zh-CN"); }
  function pct(x) { return x == null ? "—" : (100 * x).toFixed(1) + "%"; }
  function shade(share) {
    if (share == null) return NO_DATA;
    return SHADES[Math.min(SHADES.length - 1, Math.floor(share * SHADES.length))];
  }
  function subName(code, fallback) { return names[code] || fallback || code; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  /* ---- areas: the district outline always, a subdistrict's shape to zoom to ---- */
  var areasReady = fetch(C.areas).then(function (r) { return r.json(); }).then(function (data) {
    areas = data;
    outlines.addData(data);
    outlines.setStyle(function (f) {
      return f.properties.level === "district"
        ? { color: "#0d47a1", weight: 3, fill: false }
        : { color: "#546e7a", weight: 1, dashArray: "4 3", fill: false };
    });
    return data;
  });
  function shapeOf(code) {
    if (!areas) return null;
    var level = code ? "subdistrict" : "district";
    var found = areas.features.filter(function (f) {
      return f.properties.level === level && (!code || f.properties.code === code);
    });
    return found.length ? L.geoJSON({ type: "FeatureCollection", features: found }) : null;
  }
  function frame(code) {
    var shape = shapeOf(code);
    // Not animated: the frame is settled when the answer is shown (and when a test reads it).
    if (shape) map.fitBounds(shape.getBounds(), { padding: [12, 12], animate: false });
  }

  /* ---- the legend: what each colour means, for the layer analysed ---- */
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("details", "cov-legend");
    box.id = "cov-legend";
    // Open on a desk, folded on a phone (it would hide half the map).
    if (window.matchMedia("(min-width: 801px)").matches) box.open = true;
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);
  function swatch(kind, colour) {
    return "<span class='key key-" + kind + "'" + (colour ? " style='background:" + colour + "'" : "") + "></span>";
  }
  function drawLegend(l, hasSites) {
    var rows = [];
    if (l.kind === "radius") {
      rows.push("<p class='legend-title'>" + esc(T.shareTitle) + "</p>");
      SHADES.forEach(function (c, i) {
        var lo = i * 100 / SHADES.length, hi = (i + 1) * 100 / SHADES.length;
        rows.push("<div data-key='share-" + i + "'>" + swatch("fill", c) + lo + "–" + hi + "%</div>");
      });
      rows.push("<div data-key='no-data'>" + swatch("fill", NO_DATA) + esc(T.noPeople) + "</div>");
      rows.push("<div data-key='service'>" + swatch("service") + esc(T.serviceAreaKey) + "</div>");
      rows.push("<div data-key='gap'><svg class='key key-gap' viewBox='0 0 16 12' aria-hidden='true'>" +
        "<rect width='16' height='12' fill='url(#cov-gap-hatch)' stroke='#b30000'></rect></svg>" +
        esc(T.gapKey) + "</div>");
    } else {
      rows.push("<div data-key='dark'>" + swatch("dark") + esc(T.darkKey) + "</div>");
    }
    rows.push("<div data-key='facilities'>" + swatch("facility") + esc(l.title) + " · " + esc(T.facilitiesKey) + "</div>");
    if (hasSites) rows.push("<div data-key='sites'><span class='key site-key'>1</span>" + esc(T.sitesKey) + "</div>");
    if (signals.getLayers().length) rows.push("<div data-key='signals'>" + swatch("signal") + esc(activeSignal || "") + "</div>");
    rows.push("<div data-key='boundaries'>" + swatch("boundary") + esc(T.districtKey) + "</div>");
    $("cov-legend").innerHTML = "<summary>" + esc(T.legend) + "</summary>" + rows.join("");
  }

  /* ---- the rule, stated from the rule itself (never the radius run into the source) ---- */
  function drawRule(l, applied) {
    var r = l.rule, parts = [];
    var custom = applied != null && Number(applied) !== Number(r.distance_m);
    var distance = custom ? Number(applied) : r.distance_m;
    var head = (r.kind === "spacing" ? T.spacingRule : T.radiusRule) + " " + distance + " " + T.metres;
    if (custom) head += aside(T.customRule + " " + r.distance_m + " " + T.metres);
    parts.push("<strong>" + esc(head) + "</strong>");
    if (!custom) {
      r.by_kind.forEach(function (k) { parts.push(esc(k.label + " " + k.distance_m + " " + T.metres)); });
    }
    var html = "<p>" + esc(T.rule) + ": " + parts.join(SEP) + "</p>";
    if (r.source) html += "<p class='rule-source'>" + esc(T.source) + ": " + esc(r.source) + "</p>";
    $("cov-rule").innerHTML = html;
  }

  function params(withSubdistrict) {
    var p = new URLSearchParams({ mode: $("cov-mode").value });
    var radius = $("cov-radius").value;
    // The rule's own distance is not sent: the rule then applies in full (shorter
    // distances for busy public places, the planners' CoverageRule rows).
    if (radius && Number(radius) !== Number(ruleDistance())) p.set("radius", radius);
    if (withSubdistrict && $("cov-sub").value) p.set("subdistrict", $("cov-sub").value);
    return p;
  }

  /* One coverage answer (stats and features) for these parameters. */
  function getCoverage(slug, p) {
    return fetchResult(C.api + slug + "?" + p.toString());
  }

  function drawFacilities(l, code) {
    facilities.clearLayers();
    var p = new URLSearchParams({ limit: "10000" });
    if (code) p.set("subdistrict", code);
    return fetch(l.items + "?" + p.toString(), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        facilities.addData(fc);
        facilities.eachLayer(function (x) {
          if (!x.setRadius && x.setStyle) x.setStyle({ color: l.colors[x.feature.properties.status] || "#212121", weight: 3 });
          var p = x.feature.properties;
          x.bindPopup(esc(l.title) + " " + esc(p.code) + (p.name ? " " + esc(p.name) : ""));
        });
        return fc.features.length;
      });
  }

  function analyse() {
    var l = layer();
    var code = $("cov-sub").value;
    var mine = ++seq;
    $("cov-status").textContent = T.loading;
    window.covState = { loaded: false };
    sites.clearLayers();
    $("cov-sites").innerHTML = "";
    $("cov-sites-title").hidden = true;
    drawRule(l, $("cov-radius").value);
    var whole = getCoverage(l.slug, params(false));
    var part = code ? getCoverage(l.slug, params(true)) : whole;
    var drawn = drawFacilities(l, code);
    return Promise.all([whole, part, areasReady, drawn])
      .then(function (answers) {
        if (mine !== seq) return;
        var district = answers[0], data = answers[1];
        result.clearLayers();
        result.addData(data.features);
        result.setStyle(function (f) {
          if (f.properties.kind === "gap") return GAP_STYLE;
          if (f.properties.kind === "dark") return DARK_STYLE;
          return SERVICE_STYLE;
        });
        result.eachLayer(function (x) {
          var p = x.feature.properties;
          x.bindPopup(p.kind === "gap"
            ? esc(T.gap) + " #" + p.rank + " · " + esc(subName(p.subdistrict)) + ": " + fmt(p.people) + " " +
              esc(T.persons) + ", " + (p.area_m2 / 10000).toFixed(1) + " " + esc(T.hectares)
            : p.kind === "dark" ? esc(p.road_name) + " " + p.length_m + " " + esc(T.metres) : esc(T.serviceArea));
        });
        table(district, code);
        drawLegend(l, false);
        var gapCount = data.stats.gap_count;
        $("cov-status").textContent = gapCount != null
          ? gapCount + " " + T.gaps + " · " + data.seconds + " " + T.seconds
          : data.seconds + " " + T.seconds;
        $("cov-focus").textContent = code && gapCount != null
          ? fill(T.gapsIn, { n: gapCount, name: subName(code) }) : "";
        frame(code);
        window.covState = { loaded: true, features: data.features.features.length, stats: data.stats,
          district: district.stats.district, subdistrict: code || null, facilities: answers[3],
          legend: $("cov-legend").querySelectorAll("[data-key]").length };
        showOverlays();
      })
      .catch(function (e) {
        if (mine !== seq) return;
        $("cov-status").textContent = T.failed + " " + (e.description || e);
        window.covState = { loaded: true, failed: true };
      });
  }

  /* An answer not cached yet comes back 202 "computing" with its job: show the job's
     progress and ask again until the worker has put the answer in the cache. */
  function fetchResult(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw b; return [r.status, b]; }); })
      .then(function (answer) {
        if (answer[0] !== 202) return answer[1];
        var job = answer[1].job;
        $("cov-status").textContent = T.loading + " " + Math.round(100 * job.progress) + "%";
        window.covState = { loaded: false, computing: true, job: job.id };
        return new Promise(function (resolve) { setTimeout(resolve, 1000); })
          .then(function () { return fetchResult(url); });
      });
  }

  /* ---- demand signals (geo_cm.coverage.overlays): e.g. complaints outside the area ---- */
  var activeSignal = null;
  var signals = L.geoJSON(null, { style: { color: "#6a1b9a", weight: 1, fillColor: "#8e24aa",
    fillOpacity: 0.55 } }).addTo(map);
  function showOverlays() {
    var box = $("cov-overlays");
    var l = layer();
    var usable = (C.overlays || []).filter(function (o) { return l && o.layers.indexOf(l.slug) !== -1; });
    box.innerHTML = usable.map(function (o, i) {
      return "<label><input type='checkbox' data-o='" + i + "'> <span class='swatch-signal'></span> " +
        esc(o.title) + "</label><p class='signal-stats' id='cov-signal-" + i + "'></p>";
    }).join("");
    signals.clearLayers();
    activeSignal = null;
    Array.prototype.forEach.call(box.querySelectorAll("input"), function (input) {
      input.addEventListener("change", function () { drawSignal(usable[+input.dataset.o], +input.dataset.o, input.checked); });
    });
    window.covState.overlays = usable.length;
  }
  function drawSignal(overlay, index, on) {
    signals.clearLayers();
    activeSignal = on ? overlay.title : null;
    if (!on) { drawLegend(layer(), sites.getLayers().length > 0); return Promise.resolve(); }
    var p = params(true); p.set("layer", layer().slug);
    return fetch(overlay.url + "?" + p.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw b; return b; }); })
      .then(function (data) {
        signals.addData(data.features);
        signals.eachLayer(function (x) { x.bindPopup(esc(overlay.title) + ": " + x.feature.properties.count); });
        signals.bringToFront();
        var s = data.stats;
        $("cov-signal-" + index).textContent = s.signalled + " " + T.signalled + " " + s.total + " " +
          T.inPeriod + " " + data.start + "–" + data.end;
        window.covState.signal = s;
        drawLegend(layer(), sites.getLayers().length > 0);
      })
      .catch(function (e) { $("cov-signal-" + index).textContent = T.failed + " " + (e.description || e); });
  }

  /* The table and the shading come from the district-wide answer, so "District" is always
     the district's figures; the chosen subdistrict's row is marked. */
  function table(district, code) {
    var s = district.stats;
    subdistrictShapes.clearLayers();
    if (s.subdistricts) {
      var share = {};
      s.subdistricts.forEach(function (r) { share[r.code] = r.population_share != null ? r.population_share : null; });
      if (areas) {
        subdistrictShapes.addData({ type: "FeatureCollection", features: areas.features.filter(function (f) {
          return f.properties.level === "subdistrict" && share[f.properties.code] !== undefined; }) });
        subdistrictShapes.setStyle(function (f) {
          var chosen = code && f.properties.code === code;
          return { color: chosen ? "#0d47a1" : "#ffffff", weight: chosen ? 3 : 1,
            fillColor: shade(share[f.properties.code]), fillOpacity: 0.7 };
        });
        subdistrictShapes.eachLayer(function (x) {
          var c = x.feature.properties.code;
          x.bindTooltip(esc(subName(c)) + ": " + pct(share[c]) + " " + esc(T.people), { sticky: true });
        });
      }
      var rows = s.subdistricts.map(function (r) {
        var chosen = code && r.code === code;
        return "<tr data-code='" + esc(r.code) + "'" + (chosen ? " class='chosen' aria-current='true'" : "") + "><td>" +
          swatch("fill", shade(r.population_share)) + esc(subName(r.code, r.name)) +
          (chosen ? " <small>(" + esc(T.selected) + ")</small>" : "") + "</td><td>" + pct(r.area_share) +
          "</td><td>" + pct(r.population_share) + "</td></tr>";
      });
      rows.push("<tr class='district-row' data-code='district'><td>" + esc(T.total) + "</td><td>" +
        pct(s.district.area_share) + "</td><td>" + pct(s.district.population_share) + "</td></tr>");
      $("cov-table").innerHTML = "<tr><th>" + esc(T.subdistrict) + "</th><th>" + esc(T.area) + "</th><th>" +
        esc(T.people) + "</th></tr>" + rows.join("");
    } else {
      $("cov-table").innerHTML = "<tr><th>" + esc(T.subdistrict) + "</th><th>" + esc(T.dark) + "</th></tr>" +
        s.by_subdistrict.map(function (r) {
          var chosen = code && r.code === code;
          return "<tr data-code='" + esc(r.code) + "'" + (chosen ? " class='chosen' aria-current='true'" : "") +
            "><td>" + esc(subName(r.code, r.name)) + "</td><td>" + fmt(r.dark_length_m) + "</td></tr>";
        }).join("") +
        "<tr class='district-row' data-code='district'><td>" + esc(T.total) + "</td><td>" + fmt(s.dark_length_m) +
        " (" + pct(s.dark_share) + ")</td></tr>";
    }
  }

  /* ---- proposed sites: numbered markers and a numbered list saying where they are ---- */
  function siteIcon(rank) {
    return L.divIcon({ className: "cov-site", html: "<span>" + rank + "</span>", iconSize: [26, 26], iconAnchor: [13, 13] });
  }
  function place(s) {
    var where = s.subdistrict ? (C.english && s.subdistrict_name_en ? s.subdistrict_name_en : subName(s.subdistrict, s.subdistrict_name))
      : T.outside;
    // A candidate on the road itself (network vertices are) is "on" it; else "near" it.
    if (s.near_road) {
      where += " · " + (s.near_road_m < 15 ? T.beside + " " + s.near_road
        : T.near + " " + s.near_road + aside(s.near_road_m + " " + T.metres));
    }
    return where;
  }
  function propose() {
    var l = layer();
    var p = params(true); p.set("k", $("cov-k").value || "10");
    $("cov-status").textContent = T.loading;
    return fetch(C.api + l.slug + "/proposals?" + p.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw b; return b; }); })
      .then(function (data) {
        sites.clearLayers();
        var markers = {};
        data.sites.forEach(function (s) {
          var text = T.site + " " + s.rank + ": " + place(s) + " — " + fill(T.addsPeople, { n: fmt(s.added_people) });
          markers[s.rank] = L.marker([s.lat, s.lon], { icon: siteIcon(s.rank), title: text, zIndexOffset: 1000 - s.rank })
            .bindPopup(esc(text) + "<br><small>" + s.lat.toFixed(5) + ", " + s.lon.toFixed(5) + "</small>").addTo(sites);
        });
        $("cov-sites").innerHTML = data.sites.map(function (s) {
          return "<li data-rank='" + s.rank + "'><button type='button' class='site-row' data-rank='" + s.rank + "'>" +
            "<span class='site-num'>" + s.rank + "</span><span class='site-text'><strong>" + esc(place(s)) +
            "</strong><br>" + esc(fill(T.addsPeople, { n: fmt(s.added_people) })) + " · " +
            esc(fill(T.cumulative, { n: fmt(s.cumulative_people) })) + "</span></button></li>";
        }).join("");
        Array.prototype.forEach.call($("cov-sites").querySelectorAll("button"), function (b) {
          b.addEventListener("click", function () {
            var m = markers[b.dataset.rank];
            map.setView(m.getLatLng(), Math.max(map.getZoom(), 15));
            m.openPopup();
          });
        });
        $("cov-sites-title").hidden = !data.sites.length;
        drawLegend(l, data.sites.length > 0);
        $("cov-status").textContent = "";
        window.covState = Object.assign({}, window.covState, { sites: data.sites.length, siteList: data.sites });
      })
      .catch(function (e) { $("cov-status").textContent = T.failed + " " + (e.description || e); });
  }

  $("cov-form").addEventListener("submit", function (e) { e.preventDefault(); analyse(); });
  $("cov-sub").addEventListener("change", function () { analyse(); });
  $("cov-propose").addEventListener("click", propose);
  if (C.layers.length) analyse();
})();
