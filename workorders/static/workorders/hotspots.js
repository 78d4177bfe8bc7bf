/* Complaint hotspots: counts per grid square from the server (one request, squares not
 * pins), shaded on a sequential scale with its legend; counts by category beside. */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("hs-config").textContent);
  var T = JSON.parse(document.getElementById("hs-text").textContent);
  var LABELS = JSON.parse(document.getElementById("hs-labels").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var RAMP = ["#fff3e0", "#ffcc80", "#ffa726", "#f57c00", "#d84315", "#8e1b0e"];
  var map = L.map("hs-map").setView([32.07, 118.63], 11);
  if (C.basemap) {
    L.tileLayer(C.basemap.url, { attribution: C.basemap.attribution, maxZoom: C.basemap.maxZoom,
      subdomains: C.basemap.subdomains || "abc" }).addTo(map);
  }
  var areas = L.geoJSON(null, { interactive: false, style: function (f) {
    return f.properties.level === "district" ? { color: "#0d47a1", weight: 2, fill: false }
      : { color: "#5c6bc0", weight: 1, dashArray: "4 4", fill: false };
  } }).addTo(map);
  fetch(C.areas).then(function (r) { return r.json(); }).then(function (d) { areas.addData(d); });
  var squares = L.geoJSON(null).addTo(map);
  window.hotspotState = { loaded: false };

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // Class breaks that grow with the densest square: 1, then even steps up to the maximum.
  function breaks(max) {
    var steps = [1];
    for (var i = 1; i < RAMP.length; i++) {
      var b = Math.max(steps[i - 1] + 1, Math.round(max * i / RAMP.length));
      if (b > max) break;
      steps.push(b);
    }
    return steps;
  }
  function shade(n, steps) {
    for (var i = steps.length - 1; i >= 0; i--) if (n >= steps[i]) return RAMP[Math.min(i, RAMP.length - 1)];
    return RAMP[0];
  }
  function byCategoryText(counts) {
    return Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; })
      .map(function (k) { return esc(LABELS[k] || k) + " " + counts[k]; }).join(" · ");
  }

  function show() {
    var p = new URLSearchParams({ start: $("hs-start").value, end: $("hs-end").value,
      cell: $("hs-cell").value });
    if ($("hs-category").value) p.set("category", $("hs-category").value);
    if ($("hs-sub").value) p.set("subdistrict", $("hs-sub").value);
    $("hs-status").textContent = T.loading;
    window.hotspotState = { loaded: false };
    return fetch(C.api + "?" + p.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw b; return b; }); })
      .then(function (fc) {
        var steps = breaks(fc.max);
        squares.clearLayers();
        squares.addData(fc);
        squares.setStyle(function (f) {
          return { color: "#6d4c41", weight: 0.4, fillColor: shade(f.properties.count, steps), fillOpacity: 0.75 };
        });
        squares.eachLayer(function (l) {
          l.bindPopup(T.square + ": " + l.feature.properties.count + " " + T.complaints + "<br>" +
            byCategoryText(l.feature.properties.by_category));
        });
        $("hs-legend").innerHTML = steps.map(function (b, i) {
          var upper = i + 1 < steps.length ? steps[i + 1] - 1 : fc.max;
          return "<li><span style='background:" + RAMP[i] + "'></span>" + b + (upper > b ? "–" + upper : "") + "</li>";
        }).join("");
        var totals = {};
        fc.features.forEach(function (f) {
          Object.keys(f.properties.by_category).forEach(function (k) {
            totals[k] = (totals[k] || 0) + f.properties.by_category[k];
          });
        });
        $("hs-categories").innerHTML = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a]; })
          .map(function (k) { return "<tr><td>" + esc(LABELS[k] || k) + "</td><td>" + totals[k] + "</td></tr>"; }).join("");
        $("hs-top").innerHTML = fc.features.slice(0, 10).map(function (f, i) {
          return "<li><a href='#' data-i='" + i + "'>" + f.properties.count + " " + T.complaints + "</a> · " +
            byCategoryText(f.properties.by_category) + "</li>";
        }).join("");
        Array.prototype.forEach.call($("hs-top").querySelectorAll("a"), function (a) {
          a.onclick = function (e) {
            e.preventDefault();
            map.fitBounds(L.geoJSON(fc.features[+a.dataset.i]).getBounds(), { maxZoom: 15 });
          };
        });
        $("hs-status").textContent = fc.total ? fc.total + " " + T.complaints + " · " + fc.features.length +
          " " + T.squares : T.none;
        window.hotspotState = { loaded: true, total: fc.total, squares: fc.features.length, max: fc.max };
      })
      .catch(function (e) {
        $("hs-status").textContent = T.failed + " " + (e.description || e);
        window.hotspotState = { loaded: true, failed: true };
      });
  }
  $("hs-form").addEventListener("submit", function (e) { e.preventDefault(); show(); });
  show();
})();
