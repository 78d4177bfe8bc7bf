from django.urls import path

from . import views

urlpatterns = [path("api/jobs/<int:pk>", views.JobView.as_view(), name="job")]
