"""Autoencoders on digits: below PCA's test reconstruction error; denoising; the latent plot."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.unsupervised import Autoencoder, DenoisingAutoencoder, latent_plot


def pca_error(X, X_test, k):
    from sklearn.decomposition import PCA
    pca = PCA(k).fit(X)
    return float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))


def train(model, X, epochs=60):
    cr.fit(model, "mse", optim.Adam(model.parameters(), lr=3e-3), (X, X), epochs=epochs,
           batch_size=64, seed=0, verbose=0)
    return model


@pytest.mark.parametrize("latent", [2, 8])
def test_test_reconstruction_error_is_below_pca_with_the_same_latent_size(digits_split, latent):
    X, _, X_test, _ = digits_split
    ae = train(Autoencoder(64, hidden=[64], latent=latent, output_activation="sigmoid", rng=0), X)
    ae_error, baseline = ae.reconstruction_error(X_test), pca_error(X, X_test, latent)
    assert ae_error < 0.85 * baseline, (ae_error, baseline)


def test_encode_and_decode_compose_to_forward():
    ae = Autoencoder(6, hidden=[5, 4], latent=3, rng=0)
    x = np.random.default_rng(0).random((7, 6)).astype(np.float32)
    z = ae.encode(x)
    assert z.shape == (7, 3) and ae.decode(z).shape == (7, 6)
    np.testing.assert_array_equal(ae.decode(z).data, ae(x).data)
    assert [m.sizes for m in (ae.encoder, ae.decoder)] == [[6, 5, 4, 3], [3, 4, 5, 6]]


def test_denoising_corrupts_only_in_training_mode():
    dae = DenoisingAutoencoder(50, hidden=[8], latent=2, noise="mask", mask_rate=0.3, rng=0)
    x = np.ones((400, 50), np.float32)
    assert abs((dae.corrupt(x) == 0).mean() - 0.3) < 0.01
    gaussian = DenoisingAutoencoder(50, latent=2, noise="gaussian", noise_std=0.5, rng=0)
    assert abs((gaussian.corrupt(x) - x).std() - 0.5) < 0.01
    dae.eval()
    np.testing.assert_array_equal(dae(x).data, dae(x).data)
    dae.train()
    assert not np.array_equal(dae(x).data, dae(x).data)


def test_denoising_autoencoder_fills_in_masked_pixels_better_than_a_plain_one(digits_split):
    X, _, X_test, _ = digits_split
    mask = np.random.default_rng(1).random(X_test.shape) < 0.3
    corrupted = np.where(mask, 0, X_test).astype(np.float32)
    errors = {}
    for name, model in [
        ("plain", Autoencoder(64, hidden=[64], latent=8, output_activation="sigmoid", rng=0)),
        ("denoising", DenoisingAutoencoder(64, hidden=[64], latent=8, mask_rate=0.3,
                                           output_activation="sigmoid", rng=0))]:
        train(model, X, epochs=40).eval()
        errors[name] = float(np.mean((model(corrupted).data - X_test) ** 2))
    assert errors["denoising"] < 0.8 * errors["plain"], errors


def test_latent_plot_draws_one_point_per_row(tmp_path, digits_split):
    X, y, _, _ = digits_split
    ae = Autoencoder(64, hidden=[16], latent=2, rng=0)
    fig = latent_plot(ae, X[:100], y[:100], path=tmp_path / "latent.png")
    assert (tmp_path / "latent.png").stat().st_size > 1000
    assert fig.axes[0].collections[0].get_offsets().shape == (100, 2)
    with pytest.raises(ValueError, match="an autoencoder with latent=2"):
        latent_plot(Autoencoder(64, latent=3, rng=0), X)


def test_bad_settings_name_the_parameter():
    with pytest.raises(ValueError, match="'noise' parameter of DenoisingAutoencoder"):
        DenoisingAutoencoder(4, noise="salt")
    with pytest.raises(ValueError, match="'latent' parameter of Autoencoder"):
        Autoencoder(4, latent=0)


# -- the convolutional autoencoder -------------------------------------------------------------

def test_conv_autoencoder_beats_pca_on_digit_images(digits_split):
    from chainrule.unsupervised import ConvAutoencoder
    X, _, X_test, _ = digits_split
    ae = train(ConvAutoencoder((1, 8, 8), channels=(16, 32), latent=8, output_activation="sigmoid",
                               rng=0), X, epochs=30)
    ae_error, baseline = ae.reconstruction_error(X_test), pca_error(X, X_test, 8)
    assert ae_error < 0.9 * baseline, (ae_error, baseline)


@pytest.mark.parametrize("shape, channels", [((2, 13), (4, 6)), ((1, 7, 10), (3,))])
def test_conv_autoencoder_shapes_codes_and_gradients(shape, channels):
    from chainrule.unsupervised import ConvAutoencoder
    ae = ConvAutoencoder(shape, channels=channels, latent=3, rng=0)
    x = np.random.default_rng(0).random((4, *shape)).astype(np.float32)
    assert ae.encode(x).shape == (4, 3) and ae.decode(ae.encode(x)).shape == x.shape
    flat = x.reshape(4, -1)
    assert ae(flat).shape == flat.shape                               # flat rows in, flat rows out
    np.testing.assert_array_equal(ae(flat).data.reshape(x.shape), ae(x).data)
    assert cr.gradcheck(lambda t: ae.double()(t).sum(), x.astype(np.float64)[:2])
    with pytest.raises(ValueError, match="'input_shape' parameter of ConvAutoencoder"):
        ConvAutoencoder((5,), channels=(2,))
