# Money in Chinese public finance is written with a comma every three digits
# (10,000.00 元); Django's zh_Hans default groups by four with no separator.
# Only these differ from Django's zh_Hans formats, which apply otherwise.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
