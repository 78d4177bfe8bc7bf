/* Import pages: the preview map of the first features, and the progress bar of a job (the
   inspection, which reloads the page when it ends, or the commit, which moves on to the
   import's record). */
(function () {
  "use strict";
  var C = JSON.parse(document.getElementById("imp-config").textContent);

  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function previewMap() {
    var map = L.map("preview-map").setView([32.05, 118.62], 11);
    if (C.basemap) {
      L.tileLayer(C.basemap.url, { attribution: C.basemap.attribution, maxZoom: C.basemap.maxZoom,
        subdomains: C.basemap.subdomains || "abc" }).addTo(map);
    }
    var outline = L.geoJSON(null, { style: { color: "#0d47a1", weight: 1, fill: false } }).addTo(map);
    fetch(C.areas).then(function (r) { return r.json(); }).then(function (d) { outline.addData(d); });
    var features = L.geoJSON(C.preview, {
      style: { color: "#d84315", weight: 2 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: "#d84315", fillOpacity: 0.7 });
      },
      onEachFeature: function (f, lyr) {
        var rows = Object.keys(f.properties).map(function (k) {
          return "<tr><th>" + esc(k) + "</th><td>" + esc(f.properties[k]) + "</td></tr>";
        });
        lyr.bindPopup("<strong>#" + f.id + "</strong><table>" + rows.join("") + "</table>");
      }
    }).addTo(map);
    if (features.getLayers().length) map.fitBounds(features.getBounds().pad(0.1));
    window.impPreview = { count: features.getLayers().length };
  }

  function progress() {
    var bar = document.getElementById("job-progress");
    var status = document.getElementById("job-status");
    var T = JSON.parse(document.getElementById("imp-text").textContent);
    function poll() {
      fetch(C.job, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status >= 400 && r.status < 500) throw { final: true, status: r.status };
          return r.json();
        })
        .then(function (job) {
          bar.value = job.progress;
          status.dataset.status = job.status;
          status.textContent = T[job.status] || job.status;
          if (C.reload && (job.status === "done" || job.status === "failed")) {
            window.location.reload();  // the page now shows the inspection (or why not)
          } else if (job.status === "done" && job.result && job.result.record) {
            window.location.assign(C.record.replace(/0\/$/, job.result.record + "/"));
          } else if (job.status === "failed") {
            var message = document.getElementById("job-message");
            message.textContent = job.message;
            message.hidden = false;
            document.getElementById("job-retry").hidden = false;
          } else {
            window.setTimeout(poll, 700);
          }
        })
        .catch(function (err) {
          if (err && err.final) {  // gone or not ours: asking again will not help
            status.textContent = T.lost;
            document.getElementById("job-retry").hidden = false;
          } else {
            window.setTimeout(poll, 2000);  // the network or the server: try again shortly
          }
        });
    }
    poll();
  }

  if (document.getElementById("preview-map") && C.preview) previewMap();
  if (C.job) progress();
})();
