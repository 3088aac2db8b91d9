"""The photo seam: `on_photo(ctx, images)` gets the bytes of one photo or of an image set.

PLACEHOLDER from the spine (issue 2). The conversation engineer (issue 5) owns this module
and replaces this body with consent, inference, triage and result cards. Until then it
only acknowledges the photo and keeps nothing.
"""


def on_photo(ctx, images: list[bytes]):
    ctx.answer({"type": "text", "text": ctx.t("core.photo_received")})
