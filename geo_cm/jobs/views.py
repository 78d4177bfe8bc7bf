"""Job status for progress bars."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Job


class JobView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["Jobs"],
        operation_id="getJob",
        summary="A background job's progress",
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, pk):
        job = Job.objects.filter(pk=pk).first()
        mine = job is not None and (job.requested_by_id == request.user.pk or request.user.is_staff)
        if not mine:
            raise NotFound(_("No job %(id)s.") % {"id": pk})
        return Response(
            {
                "id": job.pk,
                "name": job.name,
                "status": job.status,
                "progress": job.progress,
                "message": job.message,
                "result": job.result if job.status == Job.Status.DONE else None,
                "created_at": job.created_at,
                "finished_at": job.finished_at,
            }
        )
