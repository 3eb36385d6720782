#!/usr/bin/env python3
"""Writes docs/img/report.png: predsense-video --report on the quick tour video, opened in headless
chromium, the fourth boundary clicked (the video seeks there), the page's top captured.

    /usr/bin/python3 scripts/report_screenshot.py [BUILD] [OUT.png]

Needs the build's predsense-video, ffmpeg, chromium, chromium-driver and python3-selenium
(scripts/install-deps.sh test).
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]


def main():
    build = Path(sys.argv[1]) if len(sys.argv) > 1 else SRC / "build"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else SRC / "docs" / "img" / "report.png"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        subprocess.run(["bash", str(SRC / "scripts" / "make_tour_video.sh"), str(d / "tour.mp4"), "--quick"],
                       check=True, capture_output=True)
        subprocess.run([str(build / "bin" / "predsense-video"), "-q", str(d / "tour.mp4"), "--report",
                        str(d / "run.html")], check=True, capture_output=True)
        o = webdriver.ChromeOptions()
        for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1200,1250", f"--user-data-dir={d / 'profile'}"]:
            o.add_argument(a)
        drv = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=o)
        try:
            drv.get((d / "run.html").as_uri())
            time.sleep(1.0)
            drv.find_elements("css selector", ".marker")[3].click()
            time.sleep(0.5)
            drv.save_screenshot(str(out))
        finally:
            drv.quit()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
