/* Public shared-parking map: facilities sharing berths at a chosen time, nearest first. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("sp-text").textContent);
  var SP_CONFIG = JSON.parse(document.getElementById("sp-config").textContent);
  var basemap = JSON.parse(document.getElementById("sp-basemap").textContent);
  var map = L.map("sp-map").setView([32.06, 118.63], 12);
  if (basemap) {
    L.tileLayer(basemap.url, { attribution: basemap.attribution, maxZoom: basemap.maxZoom,
      subdomains: basemap.subdomains || "abc" }).addTo(map);
  }
  var markers = L.layerGroup().addTo(map);
  var near = null;
  var sequence = 0;  // answers to an older search are dropped when a newer one is out
  var form = document.getElementById("sp-form");
  window.spState = { loaded: false, codes: [] };

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function windowText(w) {
    return w.start_time + "–" + w.end_time + (w.crosses_midnight ? " (" + T.nextDay + ")" : "") +
      " · " + (T[w.audience] || w.audience) + (w.price ? " · " + T.price + " " + w.price : "");
  }

  function item(f) {
    var p = f.properties;
    var free = p.free_berths == null ? "" : p.free_is_live
      ? "<span class='live'>" + esc(p.free_berths) + " " + T.free + "</span>"
      : "<span class='stale'>" + T.notLive + "</span>";
    return "<li data-code='" + esc(p.code) + "'><strong>" + esc(p.name) + "</strong>" +
      (p.distance_m != null ? " · " + esc(p.distance_m) + " " + T.away : "") +
      "<br>" + esc(p.address) + "<br>" + esc(p.berths_shared) + " " + T.shared + " " + free +
      "<br>" + p.windows.map(windowText).map(esc).join("<br>") +
      "<div class='nav'><a href='" + esc(p.navigation.amap) + "' rel='noopener'>" + T.amap +
      "</a><a href='" + esc(p.navigation.baidu) + "' rel='noopener'>" + T.baidu + "</a></div></li>";
  }

  function load() {
    var params = new URLSearchParams();
    var at = document.getElementById("sp-at").value;
    var audience = document.getElementById("sp-audience").value;
    if (at) params.set("at", at);
    if (audience) params.set("audience", audience);
    if (near) params.set("near", near.lng.toFixed(6) + "," + near.lat.toFixed(6));
    var mine = ++sequence;
    window.spState = { loaded: false, codes: [] };
    return fetch(SP_CONFIG.api + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (mine !== sequence) return;
        markers.clearLayers();
        var list = document.getElementById("sp-results");
        list.innerHTML = data.features.map(item).join("");
        data.features.forEach(function (f) {
          var c = f.geometry.coordinates;
          L.circleMarker([c[1], c[0]], { radius: 8, color: "#0d47a1", fillColor: "#42a5f5", fillOpacity: 0.9 })
            .bindPopup(item(f).replace(/^<li[^>]*>|<\/li>$/g, "")).addTo(markers);
        });
        document.getElementById("sp-summary").textContent = data.features.length
          ? data.features.length + " " + T.found : T.none;
        window.spState = { loaded: true, codes: data.features.map(function (f) { return f.properties.code; }) };
      })
      .catch(function () {
        if (mine !== sequence) return;
        document.getElementById("sp-summary").textContent = T.failed;
        window.spState = { loaded: true, codes: [], failed: true };
      });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  document.getElementById("sp-near").addEventListener("click", function () {
    if (!navigator.geolocation) { document.getElementById("sp-summary").textContent = T.noGps; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      near = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(near, 14);
      load();
    }, function () { document.getElementById("sp-summary").textContent = T.noGps; },
    { timeout: 8000, maximumAge: 60000 });
  });
  map.on("click", function (e) { near = e.latlng; load(); });
  load();
})();
