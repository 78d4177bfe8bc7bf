/* Reports near me: the public list and map of reports around a place, with their status.
 * The answer holds no personal data (no description, contact or photo; points rounded). */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("wn-config").textContent);
  var T = JSON.parse(document.getElementById("wn-text").textContent);
  var COLOURS = JSON.parse(document.getElementById("wn-colours").textContent);
  var $ = function (id) { return document.getElementById(id); };
  window.nearState = { loaded: false, codes: [] };
  document.querySelectorAll(".wn-swatch").forEach(function (s) {
    s.style.background = s.dataset.colour;
  });

  var map = L.map("wn-map").setView(C.center, 13);
  if (C.basemap) {
    L.tileLayer(C.basemap.url, { attribution: C.basemap.attribution, maxZoom: C.basemap.maxZoom,
      subdomains: C.basemap.subdomains || "abc" }).addTo(map);
  }
  var markers = L.layerGroup().addTo(map);
  var here = null, sequence = 0;
  var tracked = new URLSearchParams(window.location.search).get("code");

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : "—"; }

  function item(f) {
    var p = f.properties;
    return "<li data-code='" + esc(p.code) + "'" + (p.code === tracked ? " class='tracked'" : "") + ">" +
      (p.code === tracked ? "<strong>" + esc(T.tracked) + "</strong> · " : "") +
      "<span class='wn-swatch' style='background:" + esc(COLOURS[p.status] || "#3388ff") + "'></span>" +
      "<strong>" + esc(p.category_label) + "</strong> · " + esc(p.status_label) +
      (p.distance_m != null ? " · " + esc(p.distance_m) + " " + T.away : "") +
      "<br>" + T.received + " " + esc(when(p.received_at)) + " · " + T.updated + " " +
      esc(when(p.updated_at)) + (p.subdistrict ? " · " + esc(p.subdistrict) : "") +
      (p.note ? "<br><span class='wn-note'>" + esc(p.note) + "</span>" : "") +
      " <small>" + esc(p.code) + "</small></li>";
  }

  function listNear(latlng) {
    var mine = ++sequence;
    if (here) map.removeLayer(here);
    here = L.circle(latlng, { radius: 1000, color: "#0d47a1", weight: 1, fillOpacity: 0.04 }).addTo(map);
    var url = C.api + "?near=" + latlng.lng.toFixed(6) + "," + latlng.lat.toFixed(6) + "&radius=1000";
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (fc) {
        if (mine !== sequence) return;
        markers.clearLayers();
        fc.features.forEach(function (f) {
          var c = f.geometry.coordinates, p = f.properties;
          L.circleMarker([c[1], c[0]], { radius: p.code === tracked ? 9 : 6, color: "#222", weight: 1,
            fillColor: COLOURS[p.status] || "#3388ff", fillOpacity: 0.9 })
            .bindPopup(esc(p.category_label) + " · " + esc(p.status_label) + "<br>" + esc(when(p.received_at)))
            .addTo(markers);
        });
        $("wn-summary").textContent = fc.features.length ? fc.features.length + " " + T.found : T.none;
        $("wn-results").innerHTML = fc.features.map(item).join("");
        window.nearState = { loaded: true, codes: fc.features.map(function (f) { return f.properties.code; }) };
      })
      .catch(function () { if (mine === sequence) $("wn-summary").textContent = T.failed; });
  }

  map.on("click", function (e) { listNear(e.latlng); });
  window.nearList = function (lat, lng) { return listNear(L.latLng(lat, lng)); };
  $("wn-locate").addEventListener("click", function () {
    if (!navigator.geolocation) { $("wn-summary").textContent = T.noGps; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(latlng, 15);
      listNear(latlng);
    }, function () { $("wn-summary").textContent = T.noGps; },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });

  // Opened from a sent report (?code=): centre on it and list its neighbours.
  if (tracked) {
    fetch(C.open311 + encodeURIComponent(tracked) + ".json", { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (records) {
        var latlng = L.latLng(records[0].lat, records[0].long);
        map.setView(latlng, 16);
        return listNear(latlng);
      })
      .catch(function () { $("wn-summary").textContent = T.missing; });
  }
})();
