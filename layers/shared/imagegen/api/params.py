"""Query and path parameters shared by the routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from imagegen.ids import MAX_ID_LENGTH

ResourceId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH)]
PageLimit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2048)]
