from datetime import date

from eligibility.dates import add_months, add_years, age_on


def test_add_months_keeps_the_day():
    assert add_months(date(2023, 6, 30), 24) == date(2025, 6, 30)
    assert add_months(date(2022, 1, 15), 1) == date(2022, 2, 15)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2022, 8, 31), 6) == date(2023, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2022, 1, 31), 3) == date(2022, 4, 30)


def test_add_months_crosses_years_and_goes_back():
    assert add_months(date(2022, 11, 30), 3) == date(2023, 2, 28)
    assert add_months(date(2022, 3, 31), -1) == date(2022, 2, 28)


def test_add_months_saturates_at_the_end_of_the_calendar():
    assert add_months(date(9999, 6, 1), 24) == date.max


def test_add_years_is_twelve_months_each():
    assert add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert add_years(date(2021, 6, 30), 10) == date(2031, 6, 30)


def test_age_in_whole_years():
    born = date(2000, 3, 1)
    assert age_on(born, date(2024, 3, 1)) == 24
    assert age_on(born, date(2024, 2, 29)) == 23


def test_born_on_29_february_completes_a_year_on_1_march_in_common_years():
    born = date(2004, 2, 29)
    assert age_on(born, date(2020, 2, 28)) == 15
    assert age_on(born, date(2020, 2, 29)) == 16
    assert age_on(born, date(2021, 2, 28)) == 16
    assert age_on(born, date(2022, 2, 28)) == 17
    assert age_on(born, date(2022, 3, 1)) == 18
