#!/usr/bin/env python3
"""Drives the real web page of `mien serve` in headless Chromium (Selenium + chromium-driver).

Usage: page_check.py BASE_URL PHOTO SCREENSHOT [VIDEO AUDIO]
       page_check.py --body BASE_URL PHOTO SCREENSHOT
Loads the page, checks the notice is shown before anything else, acknowledges it, uploads PHOTO, waits for the
result and prints one JSON object: faces rendered, faces shown as uncertain, the labels shown, and whether the
annotated picture loaded. Writes SCREENSHOT (PNG). Exit 0 when the page worked, 1 with a message otherwise.
With --body (a server started with --body), the body toggle is switched on before the upload, and the JSON counts
the body movement, blendshape and gaze rows the page shows per face.
"""
import json
import shutil
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--no-proxy-server",
                # A synthetic camera (a moving test pattern), allowed without a prompt, for the webcam mode.
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


def open_page(driver, base):
    """Loads the page and waits for the notice and for what the server says it loaded (/healthz)."""
    driver.set_page_load_timeout(30)
    driver.get(base + "/")
    wait = WebDriverWait(driver, 60)
    wait.until(lambda d: "Who and why" in d.find_element(By.ID, "notice-body").text)
    wait.until(lambda d: d.find_element(By.ID, "body-note").text != "")
    return wait


def upload_photo(driver, wait, photo):
    driver.find_element(By.ID, "photo-file").send_keys(photo)
    wait.until(ec.presence_of_element_located((By.ID, "face-count")))
    wait.until(lambda d: d.execute_script("const i = document.getElementById('photo-image'); return !i.hidden && i.complete && i.naturalWidth > 0"))
    return int(driver.find_element(By.ID, "face-count").get_attribute("data-count"))


def body_check(base, photo, screenshot):
    driver = browser()
    try:
        wait = open_page(driver, base)
        driver.find_element(By.ID, "notice-ack").click()
        toggle = driver.find_element(By.ID, "body-toggle")
        enabled = toggle.is_enabled()
        toggle.click()
        faces = upload_photo(driver, wait, photo)
        per_face = []
        for face in driver.find_elements(By.CSS_SELECTOR, ".face"):
            per_face.append({"body_rows": len(face.find_elements(By.CSS_SELECTOR, ".body-measures tr")),
                             "body_abstained": len(face.find_elements(By.CSS_SELECTOR, ".body-abstained")),
                             "blendshape_rows": len(face.find_elements(By.CSS_SELECTOR, ".blendshapes tr")),
                             "text": face.text})
        driver.save_screenshot(screenshot)
        print(json.dumps({"toggle_enabled": enabled, "faces": faces, "per_face": per_face}))
        return 0
    except Exception as error:  # noqa: BLE001 — report any failure of the page to the Swift test
        print(f"page check failed: {error!r}", file=sys.stderr)
        return 1
    finally:
        driver.quit()


def main(base, photo, screenshot, video=None, audio=None):
    driver = browser()
    try:
        wait = open_page(driver, base)
        # The notice comes first, and the tools stay disabled until it is acknowledged.
        notice = driver.find_element(By.ID, "notice").text
        tools_before = driver.find_element(By.ID, "tools").get_attribute("aria-disabled")
        driver.find_element(By.ID, "notice-ack").click()
        tools_after = driver.find_element(By.ID, "tools").get_attribute("aria-disabled")
        body_toggle_enabled = driver.find_element(By.ID, "body-toggle").is_enabled()
        faces = upload_photo(driver, wait, photo)
        uncertain = len(driver.find_elements(By.CSS_SELECTOR, ".face [data-state='uncertain']"))
        labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".face .state")]
        bars = len(driver.find_elements(By.CSS_SELECTOR, ".face .bar"))
        image_width = driver.execute_script("return document.getElementById('photo-image').naturalWidth")
        driver.save_screenshot(screenshot)
        # Webcam mode: frames from the (fake) camera go over the live WebSocket and answers come back.
        driver.find_element(By.ID, "camera-start").click()
        WebDriverWait(driver, 60).until(lambda d: "face(s)" in d.find_element(By.ID, "live-status").text)
        live_status = driver.find_element(By.ID, "live-status").text
        driver.find_element(By.ID, "camera-stop").click()
        extra = {}
        if video:
            # Video: the upload's progress bar, then the job to done and its HTML timeline report in the frame.
            driver.find_element(By.ID, "video-file").send_keys(video)
            driver.find_element(By.ID, "video-send").click()
            WebDriverWait(driver, 180).until(lambda d: d.find_element(By.ID, "report-frame").get_attribute("hidden") is None
                                             or "failed" in d.find_element(By.ID, "video-status").text)
            extra["video_status"] = driver.find_element(By.ID, "video-status").text
            extra["video_progress"] = float(driver.find_element(By.ID, "video-progress").get_attribute("value"))
            extra["report_length"] = len(driver.find_element(By.ID, "report-frame").get_attribute("srcdoc") or "")
        if audio:
            driver.find_element(By.ID, "audio-file").send_keys(audio)
            driver.find_element(By.ID, "audio-send").click()
            WebDriverWait(driver, 60).until(lambda d: "s of audio" in d.find_element(By.ID, "audio-status").text
                                            or d.find_elements(By.CSS_SELECTOR, "#audio-status .error"))
            extra["audio_status"] = driver.find_element(By.ID, "audio-status").text
        print(json.dumps({**extra, "live_status": live_status, "faces": faces, "uncertain": uncertain, "labels": labels, "bars": bars,
                          "image_width": image_width, "body_toggle_enabled": body_toggle_enabled, "tools_before": tools_before, "tools_after": tools_after,
                          "notice_mentions_felt": "not what anyone feels" in notice}))
        return 0
    except Exception as error:  # noqa: BLE001 — report any failure of the page to the Swift test
        try:
            driver.save_screenshot(screenshot)
        except Exception:  # noqa: BLE001
            pass
        print(f"page check failed: {error!r}", file=sys.stderr)
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--body"]:
        sys.exit(body_check(*sys.argv[2:5]))
    sys.exit(main(*sys.argv[1:6]))
