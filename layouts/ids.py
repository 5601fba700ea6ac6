"""Component ids of every page, in one place: layouts, callbacks and tests import them from here."""

HOME_TITLE = "home-title"
HOME_APPLIED = "home-events-applied"
HOME_LAST_ID = "home-last-stream-id"
