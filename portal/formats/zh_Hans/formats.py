# Money in Chinese public finance is written with a comma every three digits
# (10,000.00 元); Django's zh_Hans default groups by four with no separator.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
# One way to write a date on every page, e-mail and SMS: 2026年12月1日, and
# 2026年12月1日 14:03 with the time. The SHORT_ forms are the same (Django's
# default short form is 2026/12/01), so that no page differs.
DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
