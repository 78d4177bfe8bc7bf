/* Planners' coverage map: service areas, gaps in red, a choropleth of coverage by
   subdistrict, dark road stretches, and proposed new sites. */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("cov-config").textContent);
  var T = JSON.parse(document.getElementById("cov-text").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var map = L.map("cov-map").setView([32.05, 118.62], 11);
  if (C.basemap) {
    L.tileLayer(C.basemap.url, { attribution: C.basemap.attribution, maxZoom: C.basemap.maxZoom,
      subdomains: C.basemap.subdomains || "abc" }).addTo(map);
  }
  var areas = null, subdistrictShapes = L.geoJSON(null).addTo(map);
  var facilities = L.geoJSON(null).addTo(map), result = L.geoJSON(null).addTo(map);
  var sites = L.layerGroup().addTo(map);
  window.covState = { loaded: false };

  C.layers.forEach(function (l) { $("cov-layer").add(new Option(l.title, l.slug)); });
  C.subdistricts.forEach(function (s) { $("cov-sub").add(new Option(s.name, s.code)); });
  function layer() { return C.layers.filter(function (l) { return l.slug === $("cov-layer").value; })[0]; }
  $("cov-layer").addEventListener("change", function () { $("cov-radius").value = layer().default_m; });
  $("cov-radius").value = C.layers.length ? C.layers[0].default_m : 500;

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function pct(x) { return x == null ? "—" : (100 * x).toFixed(1) + "%"; }
  function shade(share) {
    if (share == null) return "#eeeeee";
    var steps = ["#b71c1c", "#e53935", "#ff8a65", "#ffe082", "#aed581", "#43a047"];
    return steps[Math.min(steps.length - 1, Math.floor(share * steps.length))];
  }

  fetch(C.areas).then(function (r) { return r.json(); }).then(function (data) { areas = data; });

  function params() {
    var p = new URLSearchParams({ mode: $("cov-mode").value });
    if ($("cov-radius").value) p.set("radius", $("cov-radius").value);
    if ($("cov-sub").value) p.set("subdistrict", $("cov-sub").value);
    return p;
  }

  function drawFacilities(l) {
    facilities.clearLayers();
    fetch(l.items + "?limit=10000", { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (fc) {
        facilities.addData(fc);
        facilities.eachLayer(function (x) {
          var colour = l.colors[x.feature.properties.status] || "#1565c0";
          if (x.setStyle) x.setStyle({ color: colour, weight: 2 });
        });
      });
  }
  L.GeoJSON.prototype.options.pointToLayer = function (f, latlng) {
    return L.circleMarker(latlng, { radius: 4, color: "#0d47a1", weight: 1, fillOpacity: 0.9 });
  };

  function analyse() {
    var l = layer();
    $("cov-status").textContent = T.loading;
    window.covState = { loaded: false };
    drawFacilities(l);
    return fetchResult(C.api + l.slug + "?" + params().toString())
      .then(function (data) {
        result.clearLayers();
        result.addData(data.features);
        result.setStyle(function (f) {
          if (f.properties.kind === "gap") return { color: "#c62828", weight: 1, fillColor: "#e53935", fillOpacity: 0.45 };
          if (f.properties.kind === "dark") return { color: "#d50000", weight: 5, opacity: 0.9 };
          return { color: "#1565c0", weight: 1, fillColor: "#42a5f5", fillOpacity: 0.25 };
        });
        result.eachLayer(function (x) {
          var p = x.feature.properties;
          x.bindPopup(p.kind === "gap" ? T.gap + " #" + p.rank + ": " + p.people + " " + T.persons + ", " + (p.area_m2 / 10000).toFixed(1) + " ha"
            : p.kind === "dark" ? esc(p.road_name) + " " + p.length_m + " m" : T.serviceArea);
        });
        table(data);
        $("cov-status").textContent = data.stats.gap_count != null
          ? data.stats.gap_count + " " + T.gaps + " · " + data.seconds + " " + T.seconds
          : data.seconds + " " + T.seconds;
        $("cov-rule").textContent = T.rule + ": " + data.stats.rule.distance_m + " m · " + data.stats.rule.standard;
        window.covState = { loaded: true, features: data.features.features.length, stats: data.stats };
        showOverlays();
      })
      .catch(function (e) {
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
    Array.prototype.forEach.call(box.querySelectorAll("input"), function (input) {
      input.addEventListener("change", function () { drawSignal(usable[+input.dataset.o], +input.dataset.o, input.checked); });
    });
    window.covState.overlays = usable.length;
  }
  function drawSignal(overlay, index, on) {
    signals.clearLayers();
    if (!on) return Promise.resolve();
    var p = params(); p.set("layer", layer().slug);
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
      })
      .catch(function (e) { $("cov-signal-" + index).textContent = T.failed + " " + (e.description || e); });
  }

  function table(data) {
    var s = data.stats;
    subdistrictShapes.clearLayers();
    if (s.subdistricts) {
      var share = {};
      s.subdistricts.forEach(function (r) { share[r.code] = r.population_share != null ? r.population_share : r.area_share; });
      if (areas) {
        subdistrictShapes.addData({ type: "FeatureCollection", features: areas.features.filter(function (f) {
          return f.properties.level === "subdistrict" && share[f.properties.code] !== undefined; }) });
        subdistrictShapes.setStyle(function (f) {
          return { color: "#37474f", weight: 1, fillColor: shade(share[f.properties.code]), fillOpacity: 0.35 };
        });
        subdistrictShapes.bringToBack();
      }
      $("cov-table").innerHTML = "<tr><th>" + T.subdistrict + "</th><th>" + T.area + "</th><th>" + T.people + "</th></tr>" +
        s.subdistricts.concat([Object.assign({}, s.district, { name: T.total })]).map(function (r) {
          return "<tr><td>" + esc(r.name) + "</td><td>" + pct(r.area_share) + "</td><td>" + pct(r.population_share) + "</td></tr>";
        }).join("");
    } else {
      $("cov-table").innerHTML = "<tr><th>" + T.subdistrict + "</th><th>" + T.dark + "</th></tr>" +
        s.by_subdistrict.map(function (r) { return "<tr><td>" + esc(r.name) + "</td><td>" + r.dark_length_m + "</td></tr>"; }).join("") +
        "<tr><td>" + T.total + "</td><td>" + s.dark_length_m + " (" + pct(s.dark_share) + ")</td></tr>";
    }
  }

  function propose() {
    var l = layer();
    var p = params(); p.set("k", $("cov-k").value || "10");
    $("cov-status").textContent = T.loading;
    return fetch(C.api + l.slug + "/proposals?" + p.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw b; return b; }); })
      .then(function (data) {
        sites.clearLayers();
        $("cov-sites").innerHTML = data.sites.map(function (s) {
          L.marker([s.lat, s.lon], { title: T.site + " " + s.rank }).bindPopup(
            T.site + " " + s.rank + ": " + T.adds + " " + s.added_people + " " + T.persons).addTo(sites);
          return "<li>" + T.site + " " + s.rank + " (" + s.lon.toFixed(4) + ", " + s.lat.toFixed(4) + "): " +
            T.adds + " " + s.added_people + " " + T.persons + "</li>";
        }).join("");
        $("cov-status").textContent = "";
        window.covState = Object.assign({}, window.covState, { sites: data.sites.length });
      })
      .catch(function (e) { $("cov-status").textContent = T.failed + " " + (e.description || e); });
  }

  $("cov-form").addEventListener("submit", function (e) { e.preventDefault(); analyse(); });
  $("cov-propose").addEventListener("click", propose);
  if (C.layers.length) analyse();
})();
