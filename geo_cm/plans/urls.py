from django.urls import path

from . import views

urlpatterns = [
    path("api/plans/<int:year>/progress", views.ProgressView.as_view(), name="plan-progress"),
]
