"""Election-calendar scaling (issue 9): the calendar as data; the reconciler builds on it."""
