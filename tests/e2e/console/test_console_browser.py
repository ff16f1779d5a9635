"""The web console in a real headless Chromium (Debian's ``chromium`` and ``chromedriver``, driven
by Selenium) against the session's whole chain: HQ admin, franchisee admin and store manager log
in through the form, each sees its pages and a refusal page for the rest, no page script can read
the session (HttpOnly) or a token, and screenshots of the dashboard, member 360 and franchisee
portal at desktop and phone widths are written to docs/console/ and checked to be non-blank."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from chaincard.security.tokens import TOKEN_PREFIX
from tests.e2e.console.conftest import FRANCHISEE, ConsoleServer

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "console"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
# A blank or error-only page has a handful of colours; a rendered page with charts has hundreds.
MIN_COLOURS = 64
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("!!! NO CHROMIUM: the console's browser test needs Debian's `chromium` and `chromium-driver` "
                    "(apt-get install -y chromium chromium-driver fonts-wqy-microhei; .ci/run installs them) !!!")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _log_in(driver, console: ConsoleServer, role: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{console.url}/login")
    account = console.accounts[role]
    driver.find_element(By.ID, "login_name").send_keys(account.login_name)
    driver.find_element(By.ID, "password").send_keys(account.password)
    driver.find_element(By.ID, "log-in").click()
    _wait(lambda: driver.find_elements(By.ID, "operator"), "the log-in never reached a page")
    # The session cookie is HttpOnly and the token never leaves the server: page scripts see neither.
    assert driver.execute_script("return document.cookie") == ""
    assert TOKEN_PREFIX + "." not in driver.page_source


def _wait(condition, message: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def _screenshots(driver, name: str, *, charts: bool = False) -> None:
    """The current page at each width, saved as docs/console/<name>-<width>.png and checked non-blank."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        driver.set_window_size(width, height)
        driver.refresh()
        if charts:
            _wait(lambda: driver.execute_script(
                "var c = document.querySelectorAll('canvas[data-chart]');"
                "return c.length > 0 && Array.prototype.every.call(c, function (x) { return x.dataset.drawn; });"),
                "Chart.js never drew the dashboard's charts")
        path = SCREENSHOTS / f"{name}-{width_name}.png"
        driver.save_screenshot(str(path))
        with Image.open(path) as image:
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
            assert image.size[0] <= width and len(colours) >= MIN_COLOURS, f"{path.name}: {len(colours)} colours"
    driver.set_window_size(*WIDTHS["desktop"])


def _refused(driver, console: ConsoleServer, path: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{console.url}{path}")
    assert driver.find_elements(By.ID, "refused"), f"{path} was not refused"


def test_hq_admin_sees_the_dashboard_and_member_360(browser, console: ConsoleServer):
    from selenium.webdriver.common.by import By

    _log_in(browser, console, "HQ_ADMIN")
    browser.get(f"{console.url}/?period=week")
    assert "¥" in browser.find_element(By.ID, "total-revenue").text
    _screenshots(browser, "dashboard", charts=True)
    browser.get(f"{console.url}/members?q={console.card_number}")
    _wait(lambda: browser.find_elements(By.ID, "member") or browser.refresh(), "the member never showed")
    assert console.card_number in browser.find_element(By.ID, "cards").text
    _screenshots(browser, "member-360")
    # The language switch: the same page in Chinese, amounts still ¥1,234.56.
    browser.find_element(By.LINK_TEXT, "中文").click()
    _wait(lambda: "会员全景" in browser.page_source, "the page never switched to Chinese")
    assert "¥" in browser.find_element(By.ID, "cards").text
    browser.find_element(By.LINK_TEXT, "EN").click()
    _refused(browser, console, "/statements")


def test_a_franchisee_admin_sees_its_portal_and_is_refused_hq_pages(browser, console: ConsoleServer, settled_day: str):
    from selenium.webdriver.common.by import By

    _log_in(browser, console, "FRANCHISEE_ADMIN")
    browser.get(f"{console.url}/statements/ST-{settled_day}-{FRANCHISEE}")
    assert browser.find_elements(By.ID, "verified"), "the statement's hash was not verified"
    _screenshots(browser, "franchisee-portal")
    browser.get(f"{console.url}/statements")
    assert f"ST-{settled_day}-{FRANCHISEE}" in browser.page_source and "F-BAMBOO" not in browser.page_source
    for path in ("/config", f"/statements/ST-{settled_day}-F-BAMBOO"):
        _refused(browser, console, path)


def test_a_store_manager_sees_its_store_and_is_refused_the_rest(browser, console: ConsoleServer):
    from selenium.webdriver.common.by import By

    _log_in(browser, console, "STORE_MANAGER")
    browser.get(f"{console.url}/")
    assert browser.find_elements(By.ID, "total-revenue")
    assert "S-W-002" not in browser.page_source
    for path in ("/config", "/statements", "/?store=S-E-001"):
        _refused(browser, console, path)
    # Logging out ends the session on the server: the old pages send to the log-in form again.
    browser.get(f"{console.url}/")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    _wait(lambda: browser.find_elements(By.ID, "login-form"), "log-out did not return to the log-in form")
    browser.get(f"{console.url}/audit")
    assert browser.find_elements(By.ID, "login-form")
