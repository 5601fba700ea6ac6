"""Component ids of every page, in one place: layouts, callbacks and tests import them from here."""

URL = "url"
PAGE = "page"

HOME_TITLE = "home-title"
HOME_APPLIED = "home-events-applied"
HOME_LAST_ID = "home-last-stream-id"

DEMO_SCENARIO = "demo-scenario"
DEMO_SPEED = "demo-speed"
DEMO_START = "demo-start"
DEMO_PAUSE = "demo-pause"
DEMO_RESUME = "demo-resume"
DEMO_JUMP = "demo-jump"
DEMO_RESET = "demo-reset"
DEMO_STATUS = "demo-status"
DEMO_ERROR = "demo-error"
