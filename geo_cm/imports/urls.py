from django.urls import path

from . import export_pages, pages, views

urlpatterns = [
    path("api/export/<slug:layer>", views.LayerExportView.as_view(), name="layer-export"),
    path("api/imports/<int:pk>/records", views.ImportRecordsView.as_view(), name="import-records"),
    path("imports/", pages.imports_home, name="imports"),
    path("imports/export", export_pages.export_download, name="layer-export-download"),
    path("imports/uploads/<int:pk>/", pages.import_inspect, name="import-inspect"),
    path("imports/uploads/<int:pk>/report", pages.import_validation, name="import-validation"),
    path("imports/uploads/<int:pk>/commit", pages.import_commit, name="import-commit"),
    path("imports/uploads/<int:pk>/progress", pages.import_progress, name="import-progress"),
    path("imports/records/<int:pk>/", pages.import_record, name="import-record"),
    path("imports/records/<int:pk>/report.csv", pages.import_report_csv, name="import-report-csv"),
]
