/* Public shared-parking map: what a visitor can park in at a chosen time, nearest first.
 * The default answers "where can I park?" for the general public; car parks that share
 * only with nearby residents are listed only on request and marked in another colour. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("sp-text").textContent);
  var SP_CONFIG = JSON.parse(document.getElementById("sp-config").textContent);
  var basemap = JSON.parse(document.getElementById("sp-basemap").textContent);
  var COLOURS = { public: "#1565c0", residents: "#e65100", you: "#2e7d32" };
  var map = L.map("sp-map").setView([32.06, 118.63], 12);
  if (basemap) {
    L.tileLayer(basemap.url, { attribution: basemap.attribution, maxZoom: basemap.maxZoom,
      subdomains: basemap.subdomains || "abc" }).addTo(map);
  }
  var outline = L.layerGroup().addTo(map);
  var markers = L.featureGroup().addTo(map);
  var here = L.layerGroup().addTo(map);
  var districtBounds = null;
  var byCode = {};  // code -> marker, so a tap on a card shows its car park on the map
  var near = null;
  var nearIsGps = false;
  var sequence = 0;  // answers to an older search are dropped when a newer one is out
  var form = document.getElementById("sp-form");
  var audienceSelect = document.getElementById("sp-audience");
  window.spState = { loaded: false, codes: [] };
  window.spMap = map;  // read by the browser tests (what is in view)

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // A counted phrase in the right form ("1 car park", "2 car parks"; Chinese has one form).
  function count(key, n) {
    return (n === 1 ? T[key].one : T[key].many).replace("%(n)s", n);
  }

  // Local clock time in Asia/Shanghai, whatever the phone's time zone.
  var clock = new Intl.DateTimeFormat(document.documentElement.lang || "zh-Hans", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  var dayClock = new Intl.DateTimeFormat(document.documentElement.lang || "zh-Hans", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23"
  });

  function age(minutes) {
    if (minutes < 1) return T.justNow;
    if (minutes < 60) return count("minutesAgo", minutes);
    return count("hoursAgo", Math.floor(minutes / 60));
  }

  function freshness(p) {
    if (p.free_berths == null) return "<span class='sp-fresh none'>" + esc(T.notLive) + "</span>";
    var when = new Date(p.free_observed_at);
    var time = (p.free_age_minutes >= 24 * 60 ? dayClock : clock).format(when);
    var fill = { free: count("freeBerths", p.free_berths), age: age(p.free_age_minutes), time: time };
    if (p.free_is_live) return "<span class='sp-fresh live'>" + esc(format(T.liveCount, fill)) + "</span>";
    return "<span class='sp-fresh stale'>" + esc(format(T.staleCount, fill)) + "</span>";
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (m, key) { return values[key]; });
  }

  function badge(audience) {
    return "<span class='sp-badge " + esc(audience) + "'>" + esc(T[audience] || audience) + "</span>";
  }

  // A window names its audience only where a car park's windows differ (the card says it).
  function windowText(w, mixed) {
    return "<li>" + esc(w.start_time + "–" + w.end_time +
      (w.crosses_midnight ? " (" + T.nextDay + ")" : "")) + (mixed ? " " + badge(w.audience) : "") +
      (w.price ? " · " + esc(T.price) + " " + esc(w.price) : "") + "</li>";
  }

  function distance(m) {
    return m < 1000 ? m + " " + T.away : (m / 1000).toFixed(1) + " " + T.km;
  }

  function body(p) {
    var kind = p.residents_only ? "residents" : "public";
    return "<div class='sp-head'><strong>" + esc(p.name) + "</strong> " + badge(kind) + "</div>" +
      (p.residents_only ? "<p class='sp-warning'>" + esc(T.residentsWarning) + "</p>" : "") +
      "<div class='sp-meta'>" + esc([p.distance_m != null ? distance(p.distance_m) : "", p.address]
        .filter(Boolean).join(" · ")) + "</div>" +
      "<div class='sp-berths'>" + esc(count("sharedBerths", p.berths_shared)) + " · " +
      freshness(p) + "</div>" +
      "<ul class='sp-windows'>" + p.windows.map(function (w) { return windowText(w, p.audiences.length > 1); }).join("") + "</ul>" +
      "<div class='sp-nav'><a class='sp-go' href='" + esc(p.navigation.amap) +
      "' rel='noopener'>" + esc(T.amap) + "</a><a class='sp-go' href='" +
      esc(p.navigation.baidu) + "' rel='noopener'>" + esc(T.baidu) + "</a></div>";
  }

  function item(f) {
    var p = f.properties;
    return "<li class='sp-item " + (p.residents_only ? "residents" : "public") +
      "' data-code='" + esc(p.code) + "'>" + body(p) + "</li>";
  }

  // Frame what matters: every result and the visitor's point; the district when empty.
  function frame() {
    var bounds = markers.getLayers().length ? markers.getBounds() : null;
    if (near) bounds = bounds ? bounds.extend(near) : L.latLngBounds(near, near);
    if (!bounds) bounds = districtBounds;
    if (!bounds || !bounds.isValid()) return;
    map.fitBounds(bounds, { padding: [28, 28], maxZoom: 16, animate: false });
  }

  function showHere() {
    here.clearLayers();
    if (!near) return;
    L.circleMarker(near, { radius: 9, color: "#fff", weight: 3, fillColor: COLOURS.you,
      fillOpacity: 1, className: "sp-you" })
      .bindTooltip(nearIsGps ? T.you : T.chosen, { permanent: false })
      .addTo(here);
  }

  function summary(features, audience) {
    var residents = features.filter(function (f) { return f.properties.residents_only; }).length;
    if (!features.length) return audience === "public" ? T.none : T.noneAll;
    if (audience === "public") return count("found", features.length);
    return count("foundAll", features.length) +
      (residents ? T.semicolon + count("residentsOnlyCount", residents) : "");
  }

  function fetchOpen(audience) {
    var params = new URLSearchParams();
    var at = document.getElementById("sp-at").value;
    if (at) params.set("at", at);
    if (audience) params.set("audience", audience);
    if (near) params.set("near", near.lng.toFixed(6) + "," + near.lat.toFixed(6));
    return fetch(SP_CONFIG.api + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function load() {
    var audience = audienceSelect.value;
    var mine = ++sequence;
    var hint = document.getElementById("sp-hint");
    window.spState = { loaded: false, codes: [] };
    return fetchOpen(audience)
      .then(function (data) {
        if (mine !== sequence) return null;
        markers.clearLayers();
        byCode = {};
        showHere();
        document.getElementById("sp-results").innerHTML = data.features.map(item).join("");
        data.features.forEach(function (f) {
          var c = f.geometry.coordinates;
          var residents = f.properties.residents_only;
          L.circleMarker([c[1], c[0]], {
            radius: 9, weight: 2, color: "#fff",
            fillColor: residents ? COLOURS.residents : COLOURS.public, fillOpacity: 0.95,
            dashArray: residents ? "3 3" : null
          }).bindPopup(body(f.properties), { maxWidth: 280 }).addTo(markers);
          byCode[f.properties.code] = markers.getLayers()[markers.getLayers().length - 1];
        });
        document.getElementById("sp-summary").textContent = summary(data.features, audience);
        frame();
        hint.hidden = true;
        window.spState = { loaded: true, codes: data.features.map(function (f) { return f.properties.code; }),
          audience: audience };
        // Nothing for visitors: say whether residents-only offers exist instead of a bare "none".
        if (audience === "public" && !data.features.length) {
          return fetchOpen("").then(function (all) {
            if (mine !== sequence || !all.features.length) return;
            document.getElementById("sp-hint-text").textContent =
              count("hiddenResidents", all.features.length);
            hint.hidden = false;
          }).catch(function () { /* the hint is a courtesy; the answer stands */ });
        }
        return null;
      })
      .catch(function () {
        if (mine !== sequence) return;
        document.getElementById("sp-summary").textContent = T.failed;
        window.spState = { loaded: true, codes: [], failed: true };
      });
  }

  function legend() {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "sp-legend leaflet-control");
      div.setAttribute("aria-label", T.legend);
      div.innerHTML =
        "<div><i class='dot' style='background:" + COLOURS.public + "'></i>" + esc(T.public) + "</div>" +
        "<div><i class='dot dashed' style='background:" + COLOURS.residents + "'></i>" + esc(T.residents) + "</div>" +
        "<div><i class='dot ring' style='background:" + COLOURS.you + "'></i>" + esc(T.you) + "</div>" +
        "<div><i class='line'></i>" + esc(T.district) + "</div>";
      return div;
    };
    control.addTo(map);
  }

  function loadOutline() {
    return fetch(SP_CONFIG.areas)
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var district = data.features.filter(function (f) { return f.properties.level === "district"; });
        var subs = data.features.filter(function (f) { return f.properties.level === "subdistrict"; });
        L.geoJSON(subs, { interactive: false,
          style: { color: "#546e7a", weight: 1, opacity: 0.6, fill: false, dashArray: "4 4" } }).addTo(outline);
        var layer = L.geoJSON(district, { interactive: false,
          style: { color: "#37474f", weight: 2.5, opacity: 0.9, fill: false, className: "sp-district" } }).addTo(outline);
        if (layer.getLayers().length) districtBounds = layer.getBounds();
        if (window.spState.loaded && !markers.getLayers().length) frame();
      })
      .catch(function () { /* the outline is context; the list works without it */ });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  document.getElementById("sp-results").addEventListener("click", function (e) {
    if (e.target.closest("a")) return;  // the route buttons keep their own job
    var card = e.target.closest(".sp-item");
    var marker = card && byCode[card.dataset.code];
    if (!marker) return;
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15), { animate: false });
    marker.openPopup();
    document.getElementById("sp-map").scrollIntoView({ block: "nearest" });
  });
  audienceSelect.addEventListener("change", function () { load(); });
  document.getElementById("sp-show-residents").addEventListener("click", function () {
    audienceSelect.value = "";
    load();
  });
  document.getElementById("sp-near").addEventListener("click", function () {
    if (!navigator.geolocation) { document.getElementById("sp-summary").textContent = T.noGps; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      near = L.latLng(pos.coords.latitude, pos.coords.longitude);
      nearIsGps = true;
      load();
    }, function () { document.getElementById("sp-summary").textContent = T.noGps; },
    { timeout: 8000, maximumAge: 60000 });
  });
  map.on("click", function (e) { near = e.latlng; nearIsGps = false; load(); });
  legend();
  loadOutline();
  load();
})();
