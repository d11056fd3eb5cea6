"""Augmentation transforms: each against its definition, shapes and dtypes, seeding, errors."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import data, nn
from chainrule.data import augmentation as aug


def _gen(seed=0):
    return np.random.default_rng(seed)


SIGNALS = np.random.default_rng(1).normal(size=(6, 12)).astype(np.float32)
CHANNELS = np.random.default_rng(2).normal(size=(6, 2, 12)).astype(np.float32)
IMAGES = np.random.default_rng(3).normal(size=(6, 3, 5, 7)).astype(np.float32)

# (transform, input) pairs: every transform on every layout it takes
CASES = [
    (aug.GaussianNoise(0.3), SIGNALS), (aug.GaussianNoise(0.3), IMAGES),
    (aug.RandomShift(3), SIGNALS), (aug.RandomShift(3, mode="wrap"), CHANNELS),
    (aug.RandomScale((0.7, 1.4)), SIGNALS), (aug.RandomScale(), CHANNELS),
    (aug.RandomCrop(2), IMAGES), (aug.RandomCrop(1, image_shape=(3, 5, 7)), IMAGES.reshape(6, -1)),
    (aug.RandomHorizontalFlip(), IMAGES), (aug.RandomHorizontalFlip(image_shape=(3, 35)),
                                           IMAGES.reshape(6, -1)),
    (aug.Mixup(0.4), SIGNALS), (aug.Compose([aug.RandomShift(2), aug.GaussianNoise()]), CHANNELS),
]


@pytest.mark.parametrize("transform, X", CASES, ids=lambda v: repr(v)[:40])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_are_kept_the_input_untouched_and_the_seed_decides(transform, X, dtype):
    X = X.astype(dtype)
    before = X.copy()
    y = np.arange(len(X))
    out, y_out = transform(X, y, _gen(0))
    assert out.shape == X.shape and out.dtype == X.dtype
    assert np.array_equal(X, before)                                  # a new array
    again, _ = transform(X, y, _gen(0))
    assert out.tobytes() == again.tobytes()                           # same seed, same batch
    other, _ = transform(X, y, _gen(1))
    assert not np.array_equal(out, other)                             # it draws something
    assert not np.array_equal(out, X)


def test_gaussian_noise_adds_noise_of_the_given_std():
    X = np.zeros((400, 50), dtype=np.float32)
    noise, _ = aug.GaussianNoise(0.5)(X, None, _gen())
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01


def test_random_shift_moves_each_row_by_one_offset_and_fills_or_wraps():
    X = np.arange(1, 41, dtype=np.float64).reshape(4, 10)
    for mode in ("constant", "wrap"):
        out, _ = aug.RandomShift(3, mode=mode, fill=-1.0)(X, None, _gen(5))
        shifts = _gen(5).integers(-3, 4, size=4)
        for row, s in zip(range(4), shifts):
            expected = np.roll(X[row], s)
            if mode == "constant" and s > 0:
                expected[:s] = -1.0                     # shifted in from the left
            elif mode == "constant" and s < 0:
                expected[s:] = -1.0                     # shifted in from the right
            np.testing.assert_array_equal(out[row], expected)
    assert set(_gen(5).integers(-3, 4, size=4)) != {0}                # the check moved rows


def test_random_shift_moves_all_channels_of_a_row_together():
    out, _ = aug.RandomShift(4)(CHANNELS, None, _gen(7))
    shifts = _gen(7).integers(-4, 5, size=len(CHANNELS))
    single = [aug.RandomShift(4)(CHANNELS[:, c], None, _gen(7))[0] for c in range(2)]
    np.testing.assert_array_equal(out, np.stack(single, axis=1))
    assert np.any(shifts != 0)


def test_random_scale_interpolates_linearly_about_the_centre():
    X = np.random.default_rng(0).normal(size=(3, 9))
    out, _ = aug.RandomScale((0.6, 1.8), fill=0.0)(X, None, _gen(2))
    factors = _gen(2).uniform(0.6, 1.8, size=3)
    c = 4.0
    for row, s in enumerate(factors):
        where = c + (np.arange(9) - c) / s
        expected = np.interp(where, np.arange(9), X[row], left=0.0, right=0.0)
        np.testing.assert_allclose(out[row], expected, rtol=1e-12, atol=1e-12)
    same, _ = aug.RandomScale((1.0, 1.0))(X, None, _gen())
    np.testing.assert_allclose(same, X, rtol=0, atol=1e-12)          # s = 1: the identity


def test_random_crop_is_a_window_of_the_padded_image():
    pad = 2
    out, _ = aug.RandomCrop(pad, fill=9.0)(IMAGES, None, _gen(4))
    gen = _gen(4)
    top, left = gen.integers(0, 5, size=6), gen.integers(0, 5, size=6)
    padded = np.pad(IMAGES, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=9.0)
    for i in range(6):
        np.testing.assert_array_equal(out[i], padded[i, :, top[i]:top[i] + 5, left[i]:left[i] + 7])
    unpadded, _ = aug.RandomCrop(0)(IMAGES, None, _gen())
    np.testing.assert_array_equal(unpadded, IMAGES)


def test_flat_rows_are_viewed_as_images():
    flat = IMAGES.reshape(6, -1)
    out, _ = aug.RandomCrop(2, image_shape=(3, 5, 7))(flat, None, _gen(4))
    expected, _ = aug.RandomCrop(2)(IMAGES, None, _gen(4))
    np.testing.assert_array_equal(out, expected.reshape(6, -1))
    digits = np.arange(2 * 64, dtype=np.float32).reshape(2, 64)
    flipped, _ = aug.RandomHorizontalFlip(p=1.0, image_shape=(8, 8))(digits, None, _gen())
    np.testing.assert_array_equal(flipped, digits.reshape(2, 8, 8)[:, :, ::-1].reshape(2, 64))


def test_horizontal_flip_mirrors_the_rows_it_draws():
    out, _ = aug.RandomHorizontalFlip(0.5)(IMAGES, None, _gen(3))
    flip = _gen(3).random(6) < 0.5
    assert 0 < flip.sum() < 6
    np.testing.assert_array_equal(out[flip], IMAGES[flip][..., ::-1])
    np.testing.assert_array_equal(out[~flip], IMAGES[~flip])
    never, _ = aug.RandomHorizontalFlip(0.0)(IMAGES, None, _gen())
    np.testing.assert_array_equal(never, IMAGES)


def test_mixup_mixes_rows_and_targets_with_one_lambda():
    X = np.random.default_rng(0).normal(size=(8, 3))
    y = np.arange(8)
    out, mixed = aug.Mixup(0.5)(X, y, _gen(6))
    gen = _gen(6)
    lam = gen.beta(0.5, 0.5)
    perm = gen.permutation(8)
    np.testing.assert_allclose(out, lam * X + (1 - lam) * X[perm], rtol=1e-12)
    assert isinstance(mixed, aug.MixedTargets) and mixed.lam == lam and len(mixed) == 8
    np.testing.assert_array_equal(mixed.y_a, y)
    np.testing.assert_array_equal(mixed.y_b, y[perm])
    np.testing.assert_array_equal(mixed.labels, y if lam >= 0.5 else y[perm])
    with pytest.raises(ValueError, match="at most one Mixup"):
        aug.Compose([aug.Mixup(), aug.Mixup()])(X, y, _gen())


def test_the_mixed_cross_entropy_is_the_cross_entropy_of_the_mixed_one_hot_targets():
    logits = cr.tensor(np.random.default_rng(0).normal(size=(5, 4)), dtype=np.float64)
    y_a, y_b, lam = np.array([0, 1, 2, 3, 0]), np.array([3, 3, 1, 0, 0]), 0.3
    loss = aug.mixed_loss(nn.CrossEntropyLoss(), logits, aug.MixedTargets(y_a, y_b, lam))
    q = lam * np.eye(4)[y_a] + (1 - lam) * np.eye(4)[y_b]
    log_p = logits.data - np.log(np.exp(logits.data).sum(1, keepdims=True))
    assert loss.item() == pytest.approx(-(q * log_p).sum(1).mean(), rel=1e-12)
    plain = aug.mixed_loss(nn.CrossEntropyLoss(), logits, y_a)
    assert plain.item() == pytest.approx(nn.CrossEntropyLoss()(logits, y_a).item())


def test_batch_generators_are_reproducible_and_distinct():
    draw = lambda *key: aug.batch_generator(*key).random(4).tobytes()   # noqa: E731
    assert draw(0, 1, 0) == draw(0, 1, 0)
    assert len({draw(0, 1, 0), draw(0, 1, 1), draw(0, 2, 0), draw(1, 1, 0)}) == 4
    assert draw(0, 1, 0) != np.random.default_rng(0).random(4).tobytes()   # not fit's shuffle


def test_specs_by_name_pair_table_and_list():
    assert isinstance(data.make_augmentation("mixup"), data.Mixup)
    shift = data.make_augmentation(("random_shift", {"max_shift": 2, "mode": "wrap"}))
    assert (shift.max_shift, shift.mode) == (2, "wrap")
    crop = data.make_augmentation({"name": "random_crop", "padding": 1, "image_shape": [8, 8]})
    assert crop.image_shape == (1, 8, 8)
    both = data.make_augmentation(["horizontal_flip", ("gaussian_noise", {"std": 0.2})])
    assert isinstance(both, data.Compose) and both.transforms[1].std == 0.2
    custom = lambda X, y, rng: (X, y)                    # noqa: E731
    assert data.make_augmentation(custom) is custom and data.make_augmentation(None) is None
    assert set(data.AUGMENTATIONS) == {"gaussian_noise", "random_shift", "random_scale",
                                       "random_crop", "horizontal_flip", "mixup"}


@pytest.mark.parametrize("build, error, match", [
    (lambda: aug.GaussianNoise(-1), ValueError, "'std' parameter of GaussianNoise must be"),
    (lambda: aug.RandomShift(1.5), TypeError, "'max_shift' parameter of RandomShift must be an "
                                              "integer"),
    (lambda: aug.RandomShift(2, mode="reflect"), ValueError, "one of 'constant', 'wrap'"),
    (lambda: aug.RandomScale((1.2, 0.8)), ValueError, "low <= high"),
    (lambda: aug.RandomScale((0.0, 1.0)), ValueError, "'scale' parameter of RandomScale"),
    (lambda: aug.RandomCrop(-1), ValueError, "'padding' parameter of RandomCrop"),
    (lambda: aug.RandomCrop(1, image_shape=(8,)), ValueError, r"None, \(H, W\) or \(C, H, W\)"),
    (lambda: aug.RandomHorizontalFlip(1.5), ValueError, r"in \[0, 1\]"),
    (lambda: aug.Mixup(0), ValueError, "'alpha' parameter of Mixup"),
    (lambda: aug.Compose([1]), TypeError, "callables transform"),
    (lambda: data.make_augmentation("mixpu"), ValueError, "Did you mean 'mixup'"),
    (lambda: data.make_augmentation(("mixup", {"beta": 1})), TypeError, "keywords among 'alpha'"),
    (lambda: data.make_augmentation(3), TypeError, "a transform, a name"),
])
def test_bad_settings_get_the_one_voice(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize("transform, X, match", [
    (aug.RandomShift(2), IMAGES, r"1-D signals: an array \(N, L\) or \(N, C, L\)"),
    (aug.RandomScale(), np.zeros((3, 1), np.float32), "at least 2 samples"),
    (aug.RandomCrop(1), SIGNALS, "Pass image_shape"),
    (aug.RandomCrop(1, image_shape=(3, 3)), SIGNALS, "a shape with 12 values"),
])
def test_data_of_the_wrong_layout_is_refused(transform, X, match):
    with pytest.raises(ValueError, match=match):
        transform(X, None, _gen())
