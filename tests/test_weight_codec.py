"""The bundle weight codec: bounded rounding of float32 and float16, lossless 23 and 10 bits, and refusal of bad data."""

from __future__ import annotations

import lzma

import pytest
import torch

from reference_models.weight_codec import FULL_BITS, HALF_FULL_BITS, decode_state, encode_state


def _state() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {"w": torch.randn(40, 30, generator=gen) * 0.05, "half": torch.randn(300, generator=gen).half(),
            "small": torch.randn(5, generator=gen), "count": torch.arange(100)}


@pytest.mark.parametrize("bits", [10, 16])
def test_rounding_error_is_within_half_a_unit_in_the_kept_bits(bits: int) -> None:
    state = _state()
    kept, encoded = encode_state(state, bits)
    assert set(encoded) == {"w", "half"} and set(kept) == {"small", "count"}
    back = decode_state(kept, encoded, "test")
    rel = ((back["w"] - state["w"]).abs() / state["w"].abs()).max()
    assert 0 < rel <= 2.0 ** -(bits + 1)
    assert torch.equal(back["half"], state["half"]) and back["half"].dtype == torch.float16
    assert torch.equal(back["small"], state["small"]) and torch.equal(back["count"], state["count"])


def test_all_23_bits_are_lossless() -> None:
    state = _state()
    back = decode_state(*encode_state(state, FULL_BITS), "test")
    assert all(torch.equal(back[k], v) for k, v in state.items())


def test_a_plane_that_decodes_to_more_than_its_shape_is_refused() -> None:
    kept, encoded = encode_state(_state(), 16)
    bomb = lzma.compress(bytes(10**6))  # a million bytes where 1,200 belong
    encoded["w"]["planes"][0] = torch.frombuffer(bytearray(bomb), dtype=torch.uint8)
    with pytest.raises(ValueError, match="does not decode to its shape"):
        decode_state(kept, encoded, "test")
    encoded["w"]["shape"] = [2**20, 2**20]
    with pytest.raises(ValueError, match="bad dtype, shape"):
        decode_state(kept, encoded, "test")


@pytest.mark.parametrize("half_bits", [3, 7])
def test_float16_rounding_is_within_half_a_unit_in_its_kept_bits(half_bits: int) -> None:
    state = _state()
    kept, encoded = encode_state(state, FULL_BITS, half_bits)
    back = decode_state(kept, encoded, "test")
    assert back["half"].dtype == torch.float16 and encoded["half"]["bits"] == half_bits
    normal = state["half"].float().abs() >= 2.0**-14  # subnormals have fewer bits to lose
    rel = ((back["half"].float() - state["half"].float()).abs() / state["half"].float().abs())[normal].max()
    assert 0 < rel <= 2.0 ** -(half_bits + 1)
    assert torch.equal(back["w"], state["w"])  # float32 tensors keep their own (here all) bits


def test_float16_rounding_never_makes_an_infinity() -> None:
    largest = torch.tensor([65504.0, -65504.0] * 40, dtype=torch.float16)  # rounds up past the largest finite half
    back = decode_state(*encode_state({"h": largest}, FULL_BITS, 3), "test")
    assert torch.isfinite(back["h"]).all() and (back["h"].float().abs() <= 65504).all()


def test_float16_bits_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="half_bits must be"):
        encode_state(_state(), FULL_BITS, HALF_FULL_BITS + 1)
