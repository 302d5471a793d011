"""Date formats for the admin (US English): ISO dates, 24-hour desk times that name their zone.

"2026-11-20 09:42 EST" instead of Django's "Nov. 20, 2026, 9:42 a.m." (no zone, no sort order).
Input formats are Django's defaults for en (the admin's date and time widgets use them).
"""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
