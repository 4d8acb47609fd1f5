# One way to write a date in English on every page, e-mail and SMS: 1 Dec 2026,
# and 1 Dec 2026, 14:03 with the time. The 24-hour clock avoids "p.m." before a
# full stop ("a.m.."). The SHORT_ forms are the same, so that no page differs.
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
