"""Quantities as written in a policy: what is read, to what value, and what is refused."""

from __future__ import annotations

import math

import pytest

from greengate.units import (
    GRID_INTENSITY_RANGE,
    UnitError,
    format_count,
    format_duration,
    format_emissions,
    format_energy,
    format_intensity,
    format_memory,
    format_power,
    parse_emissions,
    parse_energy,
    parse_grid_intensity,
    parse_intensity,
    significant,
)


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("250 g", 0.25),
        ("250g", 0.25),
        ("1.5 kg", 1.5),
        ("0.3 t", 300.0),
        ("1e3 g", 1.0),
        ("  2 kg  ", 2.0),
        ("+2 kg", 2.0),
        (".5 kg", 0.5),
        ("12 gCO2e", 0.012),
        ("3 kgCO2e", 3.0),
        ("3 kg CO2e", 3.0),
        ("3 kg CO2eq", 3.0),
        ("1 tCO2e", 1000.0),
        ("4 KG", 4.0),
        # Every unit the formatter prints (issue 19: "10 mg" was printed and refused).
        ("10 mg", 1e-5),
        ("10 mg CO2e", 1e-5),
        ("1.74 mgCO2e", 1.74e-6),
        ("476 µg CO2e", 4.76e-7),  # the micro sign, U+00B5, as format_emissions writes it
        ("476 \u03bcg", 4.76e-7),  # the Greek mu, as some keyboards type it
        ("476 ug", 4.76e-7),
        ("12 ng CO2e", 1.2e-11),
        ("7", 7.0),
        (7, 7.0),
        (0.5, 0.5),
    ],
)
def test_emissions_are_read_as_kg(text: object, kg: float) -> None:
    assert parse_emissions(text) == pytest.approx(kg)


@pytest.mark.parametrize(
    ("text", "kwh"),
    [
        ("900 Wh", 0.9),
        ("3 kWh", 3.0),
        ("3kWh", 3.0),
        ("1e3 Wh", 1.0),
        ("2 MWh", 2000.0),
        ("2 MWH", 2000.0),
        ("50 mWh", 5e-5),
        ("63.8 nWh", 6.38e-11),
        ("5 µWh", 5e-9),
        ("5 uWh", 5e-9),
        ("5 \u03bcWh", 5e-9),
        ("3 GWh", 3e6),
        ("3 kwh", 3.0),
        ("3 KWH", 3.0),
        ("5 wh", 0.005),
        ("1.5", 1.5),
        (2, 2.0),
    ],
)
def test_energy_is_read_as_kwh(text: object, kwh: float) -> None:
    assert parse_energy(text) == pytest.approx(kwh)


@pytest.mark.parametrize(
    ("text", "g_per_kwh"),
    [
        ("350 g/kWh", 350.0),
        ("350g/kWh", 350.0),
        ("350 g / kWh", 350.0),
        ("0.35 kg/kWh", 350.0),
        ("350 kg/MWh", 350.0),
        ("0.35 g/Wh", 350.0),
        ("350 mg/Wh", 350.0),
        ("56 g CO2e/kWh", 56.0),  # as format_intensity writes it
        ("56 gCO2e/kWh", 56.0),
        ("350", 350.0),
        (350, 350.0),
        (56.5, 56.5),
    ],
)
def test_intensity_is_read_as_g_per_kwh(text: object, g_per_kwh: float) -> None:
    assert parse_intensity(text) == pytest.approx(g_per_kwh)


EMISSIONS_EXPECTED = (
    "expected a positive amount with a unit: ng, µg, mg, g, kg or t (bare number = kg)"
)


@pytest.mark.parametrize(
    ("value", "shown", "extra"),
    [
        ("5 kgs", "'5 kgs'", None),
        ("-1 kg", "'-1 kg'", None),
        (-1, "-1", None),
        ("0 kg", "'0 kg'", "use mode: off to measure without gating"),
        (0, "0", "a zero limit fails every run"),
        ("nan", "'nan'", None),
        ("inf kg", "'inf kg'", None),
        (math.nan, "nan", "not a finite number"),
        (math.inf, "inf", "not a finite number"),
        ("1e400 kg", "'1e400 kg'", "not a finite number"),
        ("", "''", None),
        ("   ", "'   '", None),
        ("1,5 kg", "'1,5 kg'", "write decimals with a dot"),
        ("1 000 kg", "'1 000 kg'", None),
        ("kg", "'kg'", None),
        ("5 Mg", "'5 Mg'", None),  # mega: the case of the prefix is not guessed
        ("5 MG", "'5 MG'", None),
        ("5 lbs", "'5 lbs'", None),
        ("900 Wh", "'900 Wh'", "Wh measures energy, not emissions"),
        (True, "true", None),
        (None, "null", None),
        ([1], "[1]", None),
    ],
)
def test_bad_emissions_say_what_was_expected(value: object, shown: str, extra: str | None) -> None:
    with pytest.raises(UnitError) as caught:
        parse_emissions(value)
    message = str(caught.value)
    assert message.startswith(f"{EMISSIONS_EXPECTED}, got {shown}")
    if extra:
        assert extra in message


@pytest.mark.parametrize(
    ("value", "extra"),
    [
        ("3 kWhs", None),
        ("0 kWh", "a zero limit fails every run; use mode: off"),
        ("-3 kWh", None),
        ("1 mwh", "write MWh for megawatt-hours or mWh for milliwatt-hours"),
        ("1 mWH", "write MWh for megawatt-hours or mWh for milliwatt-hours"),
        ("3 kW", None),
        ("3 J", None),
        ("3 NWh", None),
        ("3 gwh", None),
        ("250 g", "g measures emissions, not energy"),
        (False, None),
    ],
)
def test_bad_energy_says_what_was_expected(value: object, extra: str | None) -> None:
    with pytest.raises(
        UnitError, match=r"^expected a positive amount with a unit: nWh, µWh, mWh, Wh, kWh"
    ):
        parse_energy(value)
    if extra:
        with pytest.raises(UnitError, match=extra):
            parse_energy(value)


@pytest.mark.parametrize(
    "value", ["350 g", "350 kWh", "350 g/kW", "350 g/kWh/h", "0 g/kWh", "-5", "g/kWh", True]
)
def test_bad_intensity_says_what_was_expected(value: object) -> None:
    with pytest.raises(UnitError, match=r"^expected a positive grid intensity such as '350 g/kWh'"):
        parse_intensity(value)


def test_zero_intensity_has_no_hint_about_limits() -> None:
    with pytest.raises(UnitError) as caught:
        parse_intensity(0)
    assert "mode: off" not in str(caught.value)


def test_unit_error_is_a_value_error() -> None:
    assert issubclass(UnitError, ValueError)


@pytest.mark.parametrize(
    ("kg", "text"),
    [
        (0.25, "250 g CO2e"),
        (1.5, "1.5 kg CO2e"),
        (1500.0, "1.5 t CO2e"),
        (5e-6, "5 mg CO2e"),
        (4.78e-8, "47.8 µg CO2e"),  # was 4.78e-05 g CO2e
        (0.0016234, "1.62 g CO2e"),
        (0.9997, "1 kg CO2e"),  # rounded before the unit is picked: not 1000 g
        (12_345_678.0, "12300 t CO2e"),  # the largest unit, still no exponent
        (1e-12, "1 ng CO2e"),
        (1e-15, "0.001 ng CO2e"),  # below the smallest unit, still no exponent
        (0.0, "0 g CO2e"),
        (-0.0, "0 g CO2e"),
    ],
)
def test_emissions_are_shown_in_a_readable_unit(kg: float, text: str) -> None:
    assert format_emissions(kg) == text


@pytest.mark.parametrize(
    ("kwh", "text"),
    [
        (1.0, "1 kWh"),
        (0.9, "900 Wh"),
        (5e-5, "50 mWh"),
        (8.5e-7, "850 µWh"),
        (2000.0, "2 MWh"),
        (1e-8, "10 µWh"),
        (6.38e-11, "63.8 nWh"),  # was 0.0000638 mWh (issue 19)
        (1.15e-9, "1.15 µWh"),  # was 0.00115 mWh in ledger list
        (0.0019834, "1.98 Wh"),
        (0.0, "0 Wh"),
        (3e6, "3 GWh"),
    ],
)
def test_energy_is_shown_in_a_readable_unit(kwh: float, text: str) -> None:
    assert format_energy(kwh) == text


def test_a_figure_can_take_the_unit_of_another() -> None:
    # Components in their total's unit, so "1.98 Wh (cpu 1.6 Wh, memory 0.2 Wh)" adds up.
    assert format_energy(0.0002, like=0.00198) == "0.2 Wh"
    assert format_emissions(0.0004, like=0.0162) == "0.4 g CO2e"
    assert format_energy(float("nan"), like=1.0) == "n/a"
    # ...but never past one leading zero (issue 19: "memory 0.0000638 mWh").
    assert format_energy(6.38e-11, like=1.78e-6) == "63.8 nWh"
    assert format_energy(5.69e-8, like=1.78e-6) == "56.9 µWh"
    assert format_energy(5.98e-7, like=1.78e-6) == "0.598 mWh"
    assert format_energy(0.0, like=1.78e-6) == "0 mWh"


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (4.78e-5, "0.0000478"),
        (1.0, "1"),
        (0.1, "0.1"),
        (1.23456, "1.23"),
        (99.96, "100"),
        (123456.7, "123000"),
        (1.23e30, "1230000000000000000000000000000"),
        (-3.14159, "-3.14"),
        (0.0, "0"),
        (-0.0, "0"),
        (math.inf, "n/a"),
        (math.nan, "n/a"),
    ],
)
def test_numbers_have_three_significant_digits_and_no_exponent(x: float, text: str) -> None:
    assert significant(x) == text


def test_the_number_of_digits_can_be_chosen() -> None:
    assert significant(1.23456, 5) == "1.2346"
    assert significant(1.23456, 1) == "1"


@pytest.mark.parametrize(
    ("watts", "text"), [(0.85, "850 mW"), (46.5, "46.5 W"), (1200.0, "1.2 kW"), (0.0, "0 W")]
)
def test_power_is_shown_in_a_readable_unit(watts: float, text: str) -> None:
    assert format_power(watts) == text


@pytest.mark.parametrize(
    ("n_bytes", "text"),
    [(512.0, "512 B"), (1.2 * 2**30, "1.2 GiB"), (350 * 2**20, "350 MiB"), (2**40, "1 TiB")],
)
def test_memory_is_shown_in_binary_units(n_bytes: float, text: str) -> None:
    assert format_memory(n_bytes) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.042, "42 ms"),
        (0.0004, "0.4 ms"),
        (0.9999, "1 s"),
        (4.234, "4.23 s"),
        (59.96, "1 min 00 s"),
        (95.4, "1 min 35 s"),
        (3725.0, "1 h 02 min"),
        (0.0, "0 s"),
        (math.nan, "n/a"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 processes"), (1, "1 process"), (2, "2 processes")]
)
def test_counts_take_the_noun_in_the_right_number(count: int, text: str) -> None:
    assert format_count(count, "process", "processes") == text
    assert format_count(count, "run") == text.replace("processes", "runs").replace("process", "run")


@pytest.mark.parametrize("text", ["250 g", "0.3 t", "12 kg", "1 kg CO2e"])
def test_shown_emissions_read_back_to_the_same_amount(text: str) -> None:
    kg = parse_emissions(text)
    assert parse_emissions(format_emissions(kg)) == pytest.approx(kg)


@pytest.mark.parametrize("text", ["850 µWh", "63.8 nWh", "900 Wh", "5 kWh", "2 MWh", "3 GWh"])
def test_shown_energy_reads_back_to_the_same_amount(text: str) -> None:
    assert format_energy(parse_energy(text)) == text


@pytest.mark.parametrize("exponent", range(-15, 10))
def test_every_figure_printed_reads_back_as_a_limit(exponent: int) -> None:
    # One parser for every unit the formatter prints, at every scale it picks one.
    for mantissa in (1.0, 2.345, 9.99):
        kwh = kg = mantissa * 10.0**exponent
        assert parse_energy(format_energy(kwh)) == pytest.approx(kwh, rel=5e-3)
        assert parse_emissions(format_emissions(kg)) == pytest.approx(kg, rel=5e-3)


@pytest.mark.parametrize(
    ("value", "g_per_kwh"),
    [(0, 0.0), ("0 g/kWh", 0.0), ("1306", 1306.0), ("2000", 2000.0), ("2 kg/kWh", 2000.0)],
)
def test_a_grid_intensity_takes_the_one_documented_range(value: object, g_per_kwh: float) -> None:
    assert parse_grid_intensity(value) == g_per_kwh


@pytest.mark.parametrize("value", ["2001", "2.5 kg/kWh", -1, "nan", "350 g"])
def test_a_grid_intensity_outside_the_range_is_refused(value: object) -> None:
    with pytest.raises(UnitError, match="expected"):
        parse_grid_intensity(value)
    assert GRID_INTENSITY_RANGE == "0 to 2000 g CO2e/kWh"


def test_intensity_is_shown_in_g_co2e_per_kwh() -> None:
    assert format_intensity(350.0) == "350 g CO2e/kWh"
    assert format_intensity(56.04) == "56 g CO2e/kWh"
    assert parse_intensity(format_intensity(367.2)) == pytest.approx(367.0)
