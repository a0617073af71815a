"""The few words of a shared image's page (``GET /s/{token}``), in each language the page speaks.

The page is written by the API for visitors who are not signed in (and for crawlers), so its words
live here rather than in the front end's translations. A language of ``Languages`` without words
here is shown the first language's.
"""

from dataclasses import dataclass

from imagegen.models.users import Languages
from imagegen.services.users import preferred_language


@dataclass(frozen=True, slots=True)
class PageWords:
    """Everything the page says, in one language (``code``, its ``<html lang>``)."""

    code: str
    product: str
    description: str
    """``og:description`` when the prompt is not shown: a line about the product."""
    untitled: str
    prompt: str
    make_your_own: str
    missing_title: str
    missing_text: str
    busy_title: str
    busy_text: str


WORDS: dict[str, PageWords] = {
    "en": PageWords(
        code="en",
        product="imagegen",
        description="An image made with imagegen: generate and edit images with Google's Nano Banana models.",
        untitled="Untitled",
        prompt="Prompt",
        make_your_own="Make your own",
        missing_title="This link does not work",
        missing_text="It may have been revoked or have expired, or the image was deleted.",
        busy_title="Too many requests",
        busy_text="This address opened many shared images just now. Try again in a minute.",
    ),
    "es": PageWords(
        code="es",
        product="imagegen",
        description=(
            "Una imagen hecha con imagegen: genera y edita imágenes con los modelos Nano Banana de Google."
        ),
        untitled="Sin título",
        prompt="Prompt",
        make_your_own="Crea la tuya",
        missing_title="Este enlace no funciona",
        missing_text="Puede que lo hayan revocado o que haya caducado, o que la imagen se haya borrado.",
        busy_title="Demasiadas solicitudes",
        busy_text=(
            "Desde esta dirección se abrieron muchas imágenes compartidas. Inténtalo dentro de un minuto."
        ),
    ),
}


def page_words(accept_language: str | None, languages: Languages) -> PageWords:
    """The words for a visitor: the best match of their ``Accept-Language`` among the service's
    languages that have words here (else the first of those, else English)."""
    spoken = tuple(code for code in languages.codes if code in WORDS) or ("en",)
    return WORDS[preferred_language(accept_language, Languages(spoken))]
