"""Signs in to a running demo hub in headless Chromium and saves each page, in both languages,
at desktop and phone width. Run by hub/tools/screenshots, which starts the hub."""
import sys, time
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
base = sys.argv[1]; out = sys.argv[2]
o = Options()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--force-device-scale-factor=1"]:
    o.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
def full(name, w):
    # The whole page at width w: the device's height is set to the page's, so nothing is cut.
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": w, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    h = d.execute_script("return document.documentElement.scrollHeight")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
    d.save_screenshot(f"{out}/{name}.png")
for lang in ["zh", "en"]:
    d.delete_all_cookies()
    d.get(f"{base}/sign-in?lang={lang}")
    full(f"sign-in-{lang}-desktop", 1280)
    full(f"sign-in-{lang}-phone", 390)
    d.find_element(By.NAME, "name").send_keys("王芳")
    d.find_element(By.NAME, "password").send_keys("demo passphrase 2026")
    d.find_element(By.ID, "sign-in").click()
    # The click returns before the next page has loaded.
    WebDriverWait(d, 10).until(lambda d: d.current_url.endswith("/overview"))
    full(f"overview-{lang}-desktop", 1280)
    full(f"overview-{lang}-phone", 390)
    d.get(f"{base}/stations")
    full(f"stations-{lang}-desktop", 1280)
    full(f"stations-{lang}-phone", 390)
    d.get(f"{base}/stations?by=district")
    full(f"districts-{lang}-desktop", 1280)
    full(f"districts-{lang}-phone", 390)
    d.get(f"{base}/fleet")
    full(f"fleet-{lang}-desktop", 1280)
    full(f"fleet-{lang}-phone", 390)
    d.get(f"{base}/alerts")
    full(f"alerts-{lang}-desktop", 1280)
    full(f"alerts-{lang}-phone", 390)
    d.get(f"{base}/kiosks")
    full(f"kiosks-{lang}-desktop", 1280)
    full(f"kiosks-{lang}-phone", 390)
    d.get(f"{base}/directory")
    full(f"directory-{lang}-desktop", 1280)
    full(f"directory-{lang}-phone", 390)
    d.get(f"{base}/updates")
    full(f"updates-{lang}-desktop", 1280)
    full(f"updates-{lang}-phone", 390)
    d.get(f"{base}/remote-help")
    full(f"remote-help-{lang}-desktop", 1280)
    full(f"remote-help-{lang}-phone", 390)
    d.get(f"{base}/accounts")
    full(f"accounts-{lang}-desktop", 1280)
    full(f"accounts-{lang}-phone", 390)
    d.find_element(By.ID, "sign-out").click()
    WebDriverWait(d, 10).until(lambda d: d.current_url.endswith("/sign-in"))
d.quit()
