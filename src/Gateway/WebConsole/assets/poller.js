// Runs a refresh now and then every intervalMs after the previous one finished: never two at once, and a slow
// gateway slows the page down instead of piling requests up.

/** Starts polling; the returned function refreshes at once (after a new token, when a command ends). */
export function poll(refresh, intervalMs) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
      if (again) {
        again = false;
        run();
      } else {
        timer = setTimeout(run, intervalMs);
      }
    }
  };
  run();
  return run;
}
