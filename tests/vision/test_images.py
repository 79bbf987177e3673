"""Image inputs: raw pictures through a transform, preprocessed tensors, display copies, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.vision.images import find_normalization, prepare_images, to_pil

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


@pytest.fixture
def rgb() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)


@pytest.fixture
def transform():
    return T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])


# -- to_pil ------------------------------------------------------------------------------------------


def test_every_raw_form_gives_the_same_rgb_picture(tmp_path, rgb):
    path = tmp_path / "pic.png"
    Image.fromarray(rgb).save(path)
    forms = [str(path), path, Image.fromarray(rgb), rgb, rgb.astype(np.float64) / 255.0,
             rgb.astype(np.float32) / 255.0, np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]),
             Image.fromarray(rgb).convert("RGBA")]
    for form in forms:
        pil = to_pil(form)
        assert pil.mode == "RGB" and pil.size == (30, 20)
        np.testing.assert_array_equal(np.asarray(pil), rgb)


def test_grey_pictures_become_rgb(rgb):
    grey = rgb[..., 0]
    for form in (grey, grey[..., None], Image.fromarray(grey)):
        out = np.asarray(to_pil(form))
        assert out.shape == (20, 30, 3)
        np.testing.assert_array_equal(out[..., 1], grey)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda rgb: np.transpose(rgb, (2, 0, 1)), "channel-first"),
        (lambda rgb: rgb.astype(np.float32), "[0, 1]"),
        (lambda rgb: np.full((4, 4, 3), np.nan), "NaN"),
        (lambda rgb: rgb.astype(np.int32), "dtype"),
        (lambda rgb: rgb[None], "H×W"),
        (lambda rgb: rgb[..., :2], "H×W"),
    ],
)
def test_bad_arrays_name_argument_and_fix(rgb, make, words):
    with pytest.raises(InvalidArgumentError) as info:
        to_pil(make(rgb), name="image")
    message = str(info.value)
    assert message.startswith("image=") and "Fix:" in message and words in message


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InvalidArgumentError, match=r"image=.*no such image file.*Fix:"):
        to_pil(tmp_path / "absent.jpg")
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    with pytest.raises(InvalidArgumentError, match=r"image=.*not a readable image.*Fix:"):
        to_pil(bad)


def test_an_unknown_type_is_a_type_error():
    with pytest.raises(InvalidTypeError, match=r"image has type int.*Fix:"):
        to_pil(3)


# -- normalisation -----------------------------------------------------------------------------------


def test_find_normalization(transform):
    assert find_normalization(None) is None
    assert find_normalization(T.ToTensor()) is None
    assert find_normalization(lambda x: x) is None
    assert find_normalization(T.Normalize(MEAN, STD)) == (MEAN, STD)
    assert find_normalization(transform) == (MEAN, STD)
    preset = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    mean, std = find_normalization(preset)
    np.testing.assert_allclose(mean, MEAN)
    np.testing.assert_allclose(std, STD)


# -- prepare_images -----------------------------------------------------------------------------------


def test_raw_pictures_go_through_the_transform_and_display_undoes_it(rgb, transform):
    prepared = prepare_images([rgb, Image.fromarray(rgb)], transform)
    assert prepared.batch.shape == (2, 3, 20, 30) and prepared.batch.dtype == torch.float32
    torch.testing.assert_close(prepared.batch[0], transform(Image.fromarray(rgb)))
    assert prepared.sources == ("ndarray", "Image")
    for picture in prepared.display:
        assert picture.shape == (20, 30, 3) and picture.dtype == np.float32
        np.testing.assert_allclose(picture, rgb / 255.0, atol=1e-5)


def test_a_path_is_recorded_as_the_source(tmp_path, rgb, transform):
    path = tmp_path / "cat.png"
    Image.fromarray(rgb).save(path)
    prepared = prepare_images(path, transform)
    assert prepared.sources == (str(path),)
    assert prepared.batch.shape == (1, 3, 20, 30)


def test_the_registered_preset_gives_224(rgb):
    preset = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    prepared = prepare_images(Image.fromarray(rgb).resize((300, 200)), preset)
    assert prepared.batch.shape == (1, 3, 224, 224)
    assert prepared.display[0].shape == (224, 224, 3)
    assert 0.0 <= prepared.display[0].min() and prepared.display[0].max() <= 1.0


def test_tensors_are_taken_as_preprocessed(transform, rgb):
    x = transform(Image.fromarray(rgb))
    for form in (x, x[None], [x], [x[None]]):
        prepared = prepare_images(form, transform)  # the transform is not re-applied
        torch.testing.assert_close(prepared.batch, x[None])
        np.testing.assert_allclose(prepared.display[0], rgb / 255.0, atol=1e-5)
        assert prepared.sources == ("tensor",)
    batch = torch.stack([x, x.flip(-1)])
    assert prepare_images(batch).batch.shape == (2, 3, 20, 30)


def test_tensor_display_without_normalization_is_min_max_scaled():
    x = torch.linspace(-2, 3, 2 * 5 * 4).reshape(1, 2, 5, 4)  # 2 channels, no known transform
    picture = prepare_images(x).display[0]
    assert picture.shape == (5, 4, 3)
    assert 0.0 <= picture.min() < picture.max() <= 1.0
    np.testing.assert_array_equal(picture[..., 0], picture[..., 1])  # channels averaged to grey
    one_channel = prepare_images(torch.rand(1, 1, 6, 6)).display[0]
    assert one_channel.shape == (6, 6, 3)
    np.testing.assert_array_equal(one_channel[..., 0], one_channel[..., 2])
    assert not np.any(prepare_images(torch.zeros(1, 3, 4, 4)).display[0])  # constant: no NaN


def test_a_raw_picture_without_a_transform_names_transform(rgb):
    with pytest.raises(InvalidArgumentError) as info:
        prepare_images(rgb)
    message = str(info.value)
    assert message.startswith("transform=None") and "Fix:" in message
    assert "load_pretrained" in message


@pytest.mark.parametrize(
    ("images", "words"),
    [
        (torch.rand(1, 1, 3, 8, 8), "C×H×W"),
        (torch.rand(8, 8), "C×H×W"),
        (torch.zeros(3, 8, 8, dtype=torch.uint8), "floating point"),
        (torch.full((3, 8, 8), float("nan")), "NaN"),
        (torch.full((3, 8, 8), float("inf")), "NaN"),
        ([], "empty"),
        ([torch.rand(2, 3, 8, 8)], "batch inside a list"),
        ([torch.rand(3, 8, 8), torch.rand(3, 9, 8)], "different sizes"),
    ],
)
def test_bad_tensors_name_argument_and_fix(images, words):
    with pytest.raises(InvalidArgumentError) as info:
        prepare_images(images)
    message = str(info.value)
    assert message.startswith("image") and "Fix:" in message and words in message


def test_a_transform_must_return_a_tensor(rgb):
    with pytest.raises(InvalidTypeError, match=r"transform.*Fix:"):
        prepare_images(rgb, transform=lambda pil: np.asarray(pil))


def test_list_items_are_named_by_index(rgb, transform):
    with pytest.raises(InvalidArgumentError, match=r"image\[1\]="):
        prepare_images([rgb, rgb.astype(np.int32)], transform)


# -- reliability: bit depth, orientation, oversized files ---------------------------------------


def test_s5_a_16_bit_grey_png_is_scaled_by_its_bit_depth_not_clipped(tmp_path):
    ramp = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)  # 0, 1, 128, 255 in 8 bits
    path = tmp_path / "grey16.png"
    Image.fromarray(ramp).save(path)
    with Image.open(path) as img:
        assert img.mode in ("I", "I;16")  # Pillow opens it as 16-bit
    pil = to_pil(path)
    assert pil.mode == "RGB"
    assert np.asarray(pil)[0].tolist() == [[0, 0, 0], [1, 1, 1], [128, 128, 128], [255, 255, 255]]
    in_memory = Image.fromarray(np.array([[0, 65535]], dtype=np.uint16)).convert("I;16")
    assert np.asarray(to_pil(in_memory))[0, :, 0].tolist() == [0, 255]


def test_s5_32_bit_integer_pixels_use_the_32_bit_range():
    image = Image.fromarray(np.array([[0, 2**31 - 1]], dtype=np.int32), mode="I")
    assert np.asarray(to_pil(image))[0, :, 0].tolist() == [0, 255]  # not everything white
    negative = Image.fromarray(np.array([[-(2**31), 2**31 - 1]], dtype=np.int32), mode="I")
    assert np.asarray(to_pil(negative))[0, :, 0].tolist() == [0, 255]


def test_s6_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((2, 4, 3), dtype=np.uint8)  # 4 wide, 2 high; the top-left pixel red
    pixels[0, 0] = [255, 0, 0]
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif, quality=100, subsampling=0)
    shown = np.asarray(to_pil(path))
    assert shown.shape == (4, 2, 3)  # displayed upright: 2 wide, 4 high
    expected = np.rot90(pixels, k=-1)  # the red corner moves to the top right
    assert np.abs(shown.astype(int) - expected.astype(int)).max() < 40


def test_c1_a_decompression_bomb_is_one_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("RGB", (64, 64)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 64 // 4)  # 4096 > 2 × 1024 pixels: refused
    with pytest.raises(InvalidArgumentError, match="too large to open safely") as err:
        to_pil(path)
    assert str(path) in str(err.value) and "MAX_IMAGE_PIXELS" in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_a_truncated_png_is_not_a_readable_image(tmp_path):
    path = tmp_path / "cut.png"
    Image.new("RGB", (32, 32), "red").save(path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(InvalidArgumentError, match="not a readable image"):
        to_pil(path)
