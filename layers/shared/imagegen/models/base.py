"""Common model configuration: camelCase on the wire and in DynamoDB, snake_case in Python."""

import json
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """A model that reads and writes camelCase field names."""

    # defer_build: a model's validator and serializer are built when first used, not when imported,
    # so a function builds only the models it touches (at import, building them all took ~25 ms).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)

    def to_json(self) -> dict[str, object]:
        """The JSON-ready dict for an API response."""
        return self.model_dump(mode="json", by_alias=True)


class RequestModel(BaseModel):
    """A request body: camelCase fields only, unknown fields refused (422), strings trimmed.

    Strict: a number is not a string, ``true`` is not ``1``, ``1000.0`` is not ``1000`` (a field
    of an enum type says ``Strict(False)`` to take its values, as JSON carries them).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        str_strip_whitespace=True,
        strict=True,
        defer_build=True,
    )


class ConfiguredList(CamelModel):
    """A list that ops configure as JSON (the model catalog, the coin packs), held in one field:
    validated whenever it is loaded, and refused loudly, saying what is wrong, rather than half-used."""

    @classmethod
    def parse(cls, text: str) -> Self:
        """The list in ``text`` (JSON); the class's ``invalid`` error says what is wrong with it."""
        (field,) = cls.model_fields
        try:
            return cls.model_validate({field: json.loads(text)})
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
            )
            raise cls.invalid(f"{cls.described} not valid: {problems}") from error
        except ValueError as error:
            raise cls.invalid(f"{cls.described} not JSON: {error}") from error

    invalid: ClassVar[type[ValueError]] = ValueError
    described: ClassVar[str] = "The list is"  # how the errors name it
