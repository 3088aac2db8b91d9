"""One LINE user talking to the bot through signed webhooks, the worker and the emulator,
and photos the dev colour-rule models (tests/support/devmodels.py) read as each class."""

from PIL import Image, ImageDraw

from tests.support import phone_photos, webhooks

# (skin colour, lesion colour) that the dev models read as each class (found by a sweep:
# AD ≈ 0.90, IM ≈ 0.74, HI ≈ 0.64, MF ≈ 0.85).
PHOTO_COLOURS = {
    "AD": ((222, 180, 150), (200, 60, 60)),
    "IM": ((240, 220, 130), (255, 170, 0)),
    "HI": ((255, 190, 235), (200, 0, 255)),
    "MF": ((230, 170, 170), (255, 0, 230)),
}


def photo(kind="AD", size=(800, 600), seed=0) -> bytes:
    """A skin patch with one large lesion in the middle, as a phone-like JPEG."""
    skin, lesion = PHOTO_COLOURS[kind]
    width, height = size
    image = Image.new("RGB", size, phone_photos.BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.ellipse((0.05 * width, 0.05 * height, 0.95 * width, 0.95 * height), fill=skin)
    r = 0.2 * width
    draw.ellipse((width / 2 - r, height / 2 - r, width / 2 + r, height / 2 + r), fill=lesion)
    return phone_photos.encode(phone_photos.add_noise(image, 6, seed), "JPEG", quality=90)


def unfamiliar_photo(size=(600, 800)) -> bytes:
    """A frame that is all "lesion" to the dev models: unfamiliar (not judged)."""
    import numpy as np

    rng = np.random.default_rng(0)
    pixels = np.clip(np.array([200, 40, 40]) + rng.normal(0, 12, (*size, 3)), 0, 255)
    return phone_photos.encode(Image.fromarray(pixels.astype(np.uint8)), "JPEG", quality=92)


def dark_photo(size=(800, 600)) -> bytes:
    return phone_photos.encode(Image.new("RGB", size, (4, 4, 6)), "JPEG", quality=90)


class Chat:
    """send → the messages the bot sent to this user because of it."""

    def __init__(self, events, deliver, emulator, lang="ja", user=None):
        self.events, self.deliver, self.emulator = events, deliver, emulator
        self.user = user or webhooks.user_id()
        emulator.set_profile(self.user, language=lang)

    def _send(self, *evs) -> list[dict]:
        before = len(self.emulator.messages_to(self.user))
        self.deliver(*evs)
        return self.emulator.messages_to(self.user)[before:]

    def follow(self):
        return self._send(self.events.follow(user=self.user))

    def say(self, text):
        return self._send(self.events.text(text, user=self.user))

    def tap(self, data):
        return self._send(self.events.postback(data, user=self.user))

    def photo(self, *images):
        """One photo, or several sent together as a LINE image set."""
        evs = []
        set_id = webhooks.new_id()
        for index, data in enumerate(images, start=1):
            message_id = webhooks.new_id()
            self.emulator.add_content(message_id, data)
            image_set = (set_id, index, len(images)) if len(images) > 1 else None
            evs.append(self.events.image(message_id=message_id, image_set=image_set, user=self.user))
        return self._send(*evs)

    def agree(self):
        return self.tap("action=consent&v=yes")

    def decline(self):
        return self.tap("action=consent&v=no")


def quick_replies(message) -> list[dict]:
    return [item["action"] for item in (message.get("quickReply") or {}).get("items", [])]


def _nodes(node):
    """Every dict inside a Flex message, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def flex_texts(message) -> list[str]:
    return [n["text"] for n in _nodes(message.get("contents")) if n.get("type") == "text"]


def flex_actions(message) -> list[dict]:
    """The actions of the Flex message's buttons, in order."""
    return [n["action"] for n in _nodes(message.get("contents")) if n.get("type") == "button"]
