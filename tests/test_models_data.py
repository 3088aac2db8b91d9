"""The dataset reader (phantom and real photos share it) and the crops it makes for training."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models import data


def write_set(root, rows, header="id,label,distance"):
    (root / "images").mkdir()
    (root / "masks").mkdir()
    (root / "labels.csv").write_text("\n".join([header, *rows]) + "\n")
    return root


def add_photo(root, item_id, mask, suffix=".jpg", with_mask=True):
    Image.new("RGB", mask.shape[::-1], (200, 150, 120)).save(root / "images" / f"{item_id}{suffix}")
    if with_mask:
        Image.fromarray(mask).save(root / "masks" / f"{item_id}.png")


def test_reads_images_masks_and_optional_columns(tmp_path):
    root = write_set(tmp_path, ["a,AD,close", "b,MF,long"])
    mask = np.ones((40, 60), np.uint8)
    add_photo(root, "a", mask)
    add_photo(root, "b", mask, suffix=".png", with_mask=False)
    a, b = data.read_items(root)
    assert (a.label, a.distance, a.mask.name) == ("AD", "close", "a.png")
    assert b.image.suffix == ".png" and b.mask is None


def test_any_extension_pillow_reads_and_ids_with_odd_characters(tmp_path):
    # A clinic's export: upper-case .JPG, WebP, TIFF, ids with spaces, dots and non-ASCII.
    files = {"case 1": ".JPG", "c-2.b": ".webp", "äöü_5": ".tif", "p4": ".PNG"}
    root = write_set(tmp_path, [f"{i},AD" for i in files], "id,label")
    for item_id, suffix in files.items():
        add_photo(root, item_id, np.ones((30, 50), np.uint8), suffix=suffix, with_mask=False)
    items = data.read_items(root)
    assert [item.image.name for item in items] == [i + s for i, s in files.items()]
    assert all(np.asarray(data.open_rgb(item.image)).shape == (30, 50, 3) for item in items)


def test_labels_saved_by_a_spreadsheet(tmp_path):
    # Excel's "CSV UTF-8": byte-order mark, CRLF line ends, stray spaces around the cells.
    root = write_set(tmp_path, [], "id,label")
    (root / "labels.csv").write_bytes("\ufeffid, label\r\nx 1, AD \r\n".encode("utf-8"))
    add_photo(root, "x 1", np.ones((20, 20), np.uint8), with_mask=False)
    (item,) = data.read_items(root)
    assert (item.id, item.label, item.image.name) == ("x 1", "AD", "x 1.jpg")


def test_an_id_with_two_photos_prefers_jpeg_then_png(tmp_path):
    root = write_set(tmp_path, ["a,AD"], "id,label")
    for suffix in (".webp", ".png", ".jpg"):
        add_photo(root, "a", np.ones((20, 20), np.uint8), suffix=suffix, with_mask=False)
    assert data.read_items(root)[0].image.name == "a.jpg"


@pytest.mark.parametrize("rows, header, message", [
    (["a,XX"], "id,label", "not in"),
    (["a,AD"], "name,label", "header"),
    (["zzz,AD"], "id,label", "no image"),
])
def test_layout_errors_name_the_problem(tmp_path, rows, header, message):
    root = write_set(tmp_path, rows, header)
    add_photo(root, "a", np.ones((20, 20), np.uint8))
    with pytest.raises(data.DatasetError, match=message):
        data.read_items(root)


def test_crop_boxes_follow_the_80_10_rule_and_fall_back_to_the_lesion():
    mask = np.full((64, 64), data.SKIN, np.uint8)
    mask[20:36, 20:36] = data.LESION
    for x0, y0, x1, y1 in data.crop_boxes(mask):
        window = mask[y0:y1, x0:x1]
        assert (window != data.BACKGROUND).mean() >= 0.8 and (window == data.LESION).mean() >= 0.1
    tiny = np.zeros((64, 64), np.uint8)       # lesion on background: no window passes
    tiny[30:33, 30:33] = data.LESION
    (x0, y0, x1, y1), = data.crop_boxes(tiny)
    assert x0 <= 30 and y0 <= 30 and x1 >= 33 and y1 >= 33 and x1 - x0 == y1 - y0


def test_training_samples_have_the_model_shapes():
    rng = np.random.default_rng(0)
    rgb = np.zeros((300, 400, 3), np.uint8)
    mask = np.zeros((300, 400), np.uint8)
    x, y = data.seg_sample((rgb, mask), 256, rng)
    assert x.shape == (3, 256, 256) and x.dtype == np.float32 and y.shape == (256, 256)
    crop = np.zeros((216, 216, 3), np.uint8)
    assert data.cls_sample(crop, 160, rng).shape == (3, 160, 160)


@pytest.mark.parametrize("mode", ["L", "P", "I;16", "RGB", "RGBA"])
def test_masks_from_labelling_tools_are_read_as_class_indices(tmp_path, mode):
    classes = np.zeros((20, 30), np.uint8)
    classes[5:15, 5:25], classes[8:12, 10:20] = 1, 2
    picture = Image.fromarray(classes)
    if mode == "P":
        picture = picture.convert("P")
        picture.putpalette([0, 0, 0, 230, 190, 160, 220, 30, 60])
    elif mode != "L":
        picture = picture.convert(mode)
    picture.save(tmp_path / "m.png")
    assert np.array_equal(data.open_mask(tmp_path / "m.png"), classes)


@pytest.mark.parametrize("values, message", [
    (np.stack([np.zeros((20, 30)), np.ones((20, 30)), np.zeros((20, 30))], -1), "colour mask"),
    (np.full((20, 30), 255), "found 255"),
])
def test_masks_that_cannot_be_classes_are_refused_clearly(tmp_path, values, message):
    Image.fromarray(values.astype(np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(data.DatasetError, match=message):
        data.open_mask(tmp_path / "m.png")


def test_a_mask_transposed_against_the_upright_photo_is_refused(tmp_path):
    # Drawn on the stored pixels of a photo whose EXIF turns it upright by 90°.
    Image.fromarray(np.ones((30, 50), np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(data.DatasetError, match="upright photo is 30x50"):
        data.open_mask(tmp_path / "m.png", size=(30, 50))
    assert data.open_mask(tmp_path / "m.png", size=(25, 15)).shape == (15, 25)


def test_photos_without_a_lesion_are_read_and_kept_from_the_classifier(tmp_path):
    root = write_set(tmp_path, ["a,AD,close", "h,healthy,long", "b,background,medium"])
    lesion = np.ones((20, 20), np.uint8)
    lesion[5:10, 5:10] = data.LESION
    add_photo(root, "a", lesion)
    add_photo(root, "h", np.ones((20, 20), np.uint8))
    add_photo(root, "b", np.zeros((20, 20), np.uint8))
    items = data.read_items(root)
    assert [item.label for item in items] == ["AD", "healthy", "background"]
    assert data.NO_LESION_LABELS == ("healthy", "background")
    assert set(data.NO_LESION_LABELS).isdisjoint(data.LABELS)
    assert [item.id for item in data.lesion_items(items)] == ["a"]
    for item in items:  # the segmenter reads them all
        rgb, mask = data.seg_record(item, 32)
        assert rgb.shape[:2] == mask.shape


@pytest.mark.parametrize("label, value, message", [("healthy", data.LESION, "lesion pixels"),
                                                   ("background", data.SKIN, "holds skin")])
def test_a_no_lesion_photo_whose_mask_disagrees_is_refused(tmp_path, label, value, message):
    root = write_set(tmp_path, [f"x,{label}"], "id,label")
    mask = np.zeros((20, 20), np.uint8)
    mask[4:8, 4:8] = value
    add_photo(root, "x", mask)
    (item,) = data.read_items(root)
    with pytest.raises(data.DatasetError, match=message):
        data.seg_record(item, 32)
