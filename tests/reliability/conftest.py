"""The browser fixtures of the end-to-end tests, for the security checks that need a page."""

from tests.e2e.conftest import browser, page  # noqa: F401  (fixtures)
