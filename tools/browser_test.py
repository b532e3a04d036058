#!/usr/bin/env python3
"""Real-browser test of the editing widgets: JupyterLab + headless Chromium (Debian's chromium and chromium-driver).

Starts JupyterLab on 127.0.0.1 with a random token on a copy of nbs/demo.ipynb (the repository is never written),
opens it in headless Chromium through selenium, runs all cells, checks that the mask canvas and the preview exist,
paints a stroke on the canvas with the mouse, checks that the preview image changed, saves a screenshot to
figures/browser_test.png and stops the server. Prints one line 'browser test: passed ...' or 'browser test: FAILED ...'.

    python tools/browser_test.py            # needs: apt-get install chromium chromium-driver; pip install -e ".[dev]"
"""
import argparse, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.5):
    "Poll `condition()` until it returns something truthy; raise naming `what` after `timeout` seconds."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value: return value
        except Exception:   # the page is still loading: elements come and go
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def image_content(driver, element) -> str:
    "The bytes behind an <img> (a blob: or data: URL), base64-encoded, fetched inside the page."
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0].src).then(r => r.arrayBuffer()).then(buffer => {
            let text = ''; for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
            done(btoa(text));
        }).catch(error => done(''));""", element)


def start_lab(folder: Path, port: int, token: str, log) -> subprocess.Popen:
    "JupyterLab on 127.0.0.1:port serving `folder`, its settings and state kept inside `folder`."
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / '.jupyter'), JUPYTER_RUNTIME_DIR=str(folder / '.runtime'),
               JUPYTER_DATA_DIR=str(folder / '.data'), JUPYTERLAB_SETTINGS_DIR=str(folder / '.settings'),
               JUPYTERLAB_WORKSPACES_DIR=str(folder / '.workspaces'),
               OMP_NUM_THREADS='1')
    command = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
               '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={folder}',
               '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
               '--LabApp.extension_manager=readonly']
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--chromium', default=shutil.which('chromium') or '/usr/bin/chromium')
    parser.add_argument('--chromedriver', default=shutil.which('chromedriver') or '/usr/bin/chromedriver')
    parser.add_argument('--screenshot', default=str(ROOT / 'figures' / 'browser_test.png'))
    parser.add_argument('--timeout', type=float, default=240, help='seconds for running all cells')
    args = parser.parse_args(argv)
    for name, path in (('chromium', args.chromium), ('chromedriver', args.chromedriver)):
        if not Path(path).is_file(): print(f"browser test: FAILED: no {name} at {path} (apt-get install chromium chromium-driver)"); return 1
    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix='tcp_nb_browser_'))
    (folder / 'nbs').mkdir()
    shutil.copy(ROOT / 'nbs' / 'demo.ipynb', folder / 'nbs' / 'demo.ipynb')
    (folder / 'figures').symlink_to(ROOT / 'figures')          # the demo loads ../figures/reference/tcp.pt
    port, token = free_port(), secrets.token_hex(16)
    log = open(folder / 'jupyterlab.log', 'w')
    server, driver, passed = start_lab(folder, port, token, log), None, False
    try:
        status = f'http://127.0.0.1:{port}/api/status?token={token}'
        wait_for(lambda: urllib.request.urlopen(status, timeout=2).status == 200, 60, 'JupyterLab to start')
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1500,1300'):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=args.chromedriver))
        driver.get(f'http://127.0.0.1:{port}/lab/tree/nbs/demo.ipynb?token={token}')
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, '.jp-Notebook .jp-Cell'), 90, 'the notebook to open')
        def accept_dialogs():   # 'Select Kernel' (accept the notebook's python3) and the news toast (decline)
            for button in driver.find_elements(By.CSS_SELECTOR, '.jp-Dialog .jp-mod-accept'): button.click()
            for button in driver.find_elements(By.XPATH, "//button[.//text()='No']"): button.click()
        def kernel_idle():
            accept_dialogs()
            return driver.find_element(By.CSS_SELECTOR, '.jp-Notebook-ExecutionIndicator').get_attribute('data-status') == 'idle'
        wait_for(kernel_idle, 90, 'the kernel to start')
        time.sleep(2); accept_dialogs()
        driver.find_element(By.XPATH, "//div[contains(@class, 'lm-MenuBar-itemLabel') and text()='Run']").click()
        wait_for(lambda: driver.find_element(By.XPATH, "//div[contains(@class, 'lm-Menu-itemLabel') and text()='Run All Cells']"), 10,
                 'the Run menu').click()
        canvas = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, 'canvas.tcp-mask-canvas'), args.timeout, 'the mask canvas')
        preview = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, 'img.tcp-preview'), 60, 'the preview image')
        before = wait_for(lambda: preview.get_attribute('src') and image_content(driver, preview), 60, 'the first preview')
        wait_for(lambda: canvas.size['width'] > 100, 30, 'the canvas to get its size')
        timing = driver.find_element(By.CSS_SELECTOR, '.tcp-timing').text
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
        time.sleep(0.5)
        # paint a stroke across the canvas with the mouse (the brush is the default tool)
        width, height = canvas.size['width'], canvas.size['height']
        actions = ActionChains(driver).move_to_element_with_offset(canvas, -width // 3, -height // 4).click_and_hold()
        for _ in range(8): actions.move_by_offset(width // 12, height // 40)
        actions.release().perform()
        after = wait_for(lambda: (content := image_content(driver, preview)) != before and content, 60,
                         'the preview image to change after the stroke')
        new_timing = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, '.tcp-timing').text, 10, 'the timing label')
        time.sleep(1.0)                                           # let the overlay and the new preview paint
        Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(args.screenshot)
        errors = [line for line in Path(folder / 'jupyterlab.log').read_text().splitlines() if 'Traceback' in line]
        print(f"browser test: passed in {time.monotonic() - started:.0f} s: canvas {width}x{height}, the preview's PNG changed "
              f"({len(before)} -> {len(after)} base64 characters), timing before '{timing}', after '{new_timing}', screenshot {args.screenshot}"
              + (f"; {len(errors)} tracebacks in the server log" if errors else ''))
        passed = True
        return 0
    except Exception as error:
        if driver is not None:
            try: driver.save_screenshot(str(folder / 'failure.png')); print(f"(failure screenshot: {folder / 'failure.png'})")
            except Exception: pass
        print(f"browser test: FAILED after {time.monotonic() - started:.0f} s: {type(error).__name__}: {error}")
        print(f"(JupyterLab log: {folder / 'jupyterlab.log'})")
        return 1
    finally:
        if driver is not None: driver.quit()
        os.killpg(server.pid, signal.SIGTERM)
        try: server.wait(15)
        except subprocess.TimeoutExpired: os.killpg(server.pid, signal.SIGKILL); server.wait()
        log.close()
        if passed: shutil.rmtree(folder, ignore_errors=True)           # kept after a failure, for its log


if __name__ == '__main__':
    sys.exit(main())
