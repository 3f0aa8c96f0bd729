#!/usr/bin/env python3
"""browser.py CHROMIUM PAGE OUTDIR [FOLLOW...]: open PAGE (a file) in headless
Chromium, driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
no port, no network), and write into OUTDIR:

  dom.html       the page's DOM after loading (document.documentElement.outerHTML)
  console.txt    every console message, uncaught exception and log entry
  <figure>.png   a screenshot of every <figure> of the page, by its id
  transcript.png the transcript the first link of the item table opens
  links.txt      for each transcript link followed: the target page and whether
                 the element it points at exists

FOLLOW names extra pages (relative to PAGE) to open and check for errors too;
links of the item table are followed for its first row.
Exits 1 when a page logs an error, a figure cannot be captured or a followed
link points at nothing. Standard library only.
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Chrome:
    def __init__(self, exe, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            # Chromium reads commands on fd 3 and writes answers on fd 4; move
            # the pipe ends out of the way first so neither clobbers the other
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [exe, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--remote-debugging-pipe",
                "--window-size=1200,900", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(profile, "stderr.txt"), "w"))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, timeout=30, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                del self.events[i]
                return m
        while True:
            m = self._read_msg(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def problems(events):
    """Console errors, exceptions and error log entries among the events."""
    out = []
    for m in events:
        p = m.get("params", {})
        if m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m.get("method") == "Runtime.exceptionThrown":
            out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:400])
        elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            e = p["entry"]
            out.append(f"log {e.get('level')} ({e.get('source')}): {e.get('text')} {e.get('url', '')}")
    return out


def evaluate(c, expr):
    r = c.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
    if "exceptionDetails" in r:
        raise RuntimeError("evaluate failed: " + json.dumps(r["exceptionDetails"])[:300])
    return r["result"].get("value")


def open_page(c, url):
    c.events = [m for m in c.events if m.get("method") not in
                ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")]
    c.send("Page.navigate", {"url": url})
    c.wait_event("Page.loadEventFired", timeout=60)
    evaluate(c, "1")  # drain events queued before the load finished
    found = problems(c.events)
    c.events = []
    return found


def shoot(c, selector_js, path):
    """A PNG of the element selector_js finds; its size, or None."""
    # scrolled into view and cut to the viewport: capturing beyond the
    # viewport makes Chromium lay out the whole page, slow for a long one
    r = evaluate(c, f"""(() => {{ const e = {selector_js}; if (!e) return null;
        e.scrollIntoView(); const r = e.getBoundingClientRect();
        return {{x: r.left + window.scrollX, y: r.top + window.scrollY,
                w: r.width, h: Math.min(r.height, window.innerHeight)}}; }})()""")
    if not r or r["w"] < 50 or r["h"] < 50:
        return None
    shot = c.send("Page.captureScreenshot", {
        "format": "png",
        "clip": {"x": r["x"], "y": r["y"], "width": r["w"], "height": r["h"], "scale": 1}})
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    return r


def main():
    exe, page, outdir = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    follow = sys.argv[4:]
    os.makedirs(outdir, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="umpire-chromium-")
    c = Chrome(exe, profile)
    bad = 0
    log = open(os.path.join(outdir, "console.txt"), "w")
    try:
        targets = c.send("Target.getTargets", session=False)["targetInfos"]
        tid = next(t["targetId"] for t in targets if t["type"] == "page")
        c.session = c.send("Target.attachToTarget", {"targetId": tid, "flatten": True},
                           session=False)["sessionId"]
        for dom in ("Page", "Runtime", "Log"):
            c.send(dom + ".enable")
        url = "file://" + page
        for p in open_page(c, url):
            print(f"{url}: {p}", file=log)
            bad += 1
        with open(os.path.join(outdir, "dom.html"), "w", encoding="utf-8") as f:
            f.write("<!DOCTYPE html>\n" + evaluate(c, "document.documentElement.outerHTML"))
        figs = evaluate(c, """[...document.querySelectorAll('figure')].map(f => {
            const r = f.getBoundingClientRect();
            return {id: f.id, x: r.left + window.scrollX, y: r.top + window.scrollY,
                    w: r.width, h: r.height};})""")
        for fg in figs:
            sel = f"document.getElementById({json.dumps(fg['id'])})"
            if not shoot(c, sel, os.path.join(outdir, fg["id"] + ".png")):
                print(f"figure {fg['id']} is {fg['w']}x{fg['h']}", file=log)
                bad += 1
        links = evaluate(c, """[...document.querySelectorAll('#items-table tbody tr:first-child a')]
            .map(a => a.getAttribute('href'))""") or []
        with open(os.path.join(outdir, "links.txt"), "w") as lf:
            for href in links:
                target, _, frag = href.partition("#")
                turl = "file://" + (os.path.join(os.path.dirname(page), target) if target else page)
                if target:
                    for p in open_page(c, turl):
                        print(f"{turl}: {p}", file=log)
                        bad += 1
                elif not evaluate(c, "location.href").startswith(turl):
                    open_page(c, turl)
                ok = evaluate(c, f"!!document.getElementById({json.dumps(frag)})")
                if ok and not os.path.exists(os.path.join(outdir, "transcript.png")):
                    shoot(c, f"document.getElementById({json.dumps(frag)})",
                          os.path.join(outdir, "transcript.png"))
                print(f"{href} {'found' if ok else 'MISSING'}", file=lf)
                bad += 0 if ok else 1
        for extra in follow:
            eurl = "file://" + os.path.join(os.path.dirname(page), extra)
            for p in open_page(c, eurl):
                print(f"{eurl}: {p}", file=log)
                bad += 1
    finally:
        c.close()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"# {len(figs)} figures captured, {len(links)} links followed, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
