"""Answers about exports."""

from imagegen.models.base import CamelModel
from imagegen.models.exports import ExportView


class ExportResponse(CamelModel):
    """The caller's latest export."""

    export: ExportView
