// The kiosk: keeps the server-rendered bay tiles up to date from /kiosk/events (Server-Sent Events, no polling) and
// reconnects by itself when the dock restarts. Plain script, no build step; every value goes in as text, never as HTML.
(() => {
  'use strict';
  const strings = JSON.parse(document.getElementById('strings').textContent);
  const t = (key, ...args) => (strings[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
  const bays = document.getElementById('bays');
  const status = document.getElementById('status');
  const speeds = new Map(); // bay id → { at, left, rate } for the time-left estimate

  const field = (tile, name) => tile.querySelector(`[data-field="${name}"]`);

  function create(bayId) {
    const tile = document.createElement('section');
    tile.className = 'tile';
    tile.dataset.bay = bayId;
    tile.setAttribute('aria-labelledby', `bay-${bayId}`);
    const light = document.createElement('div');
    light.className = 'light';
    light.setAttribute('aria-hidden', 'true');
    const title = document.createElement('h3');
    title.id = `bay-${bayId}`;
    title.textContent = t('bay', bayId);
    const phase = document.createElement('p');
    phase.className = 'phase';
    const list = document.createElement('dl');
    for (const [name, label] of [['serial', 'label.recorder'], ['officer', 'label.officer'], ['battery', 'label.battery'],
      ['clips', 'label.clips'], ['eta', 'label.eta']]) {
      const row = document.createElement('div');
      const dt = document.createElement('dt');
      dt.textContent = t(label);
      const dd = document.createElement('dd');
      dd.dataset.field = name;
      row.append(dt, dd);
      list.append(row);
    }
    const progress = document.createElement('progress');
    progress.max = 100;
    progress.setAttribute('aria-label', t('label.progress', bayId));
    const message = document.createElement('p');
    message.className = 'message';
    message.dataset.field = 'message';
    tile.append(light, title, phase, list, progress, message);
    return tile;
  }

  function timeLeft(bay) {
    if (bay.phase !== 'transferring') { speeds.delete(bay.bayId); return t('eta.unknown'); }
    const left = bay.pendingBytes + Math.max(0, bay.clipSize - bay.clipBytes);
    const now = performance.now();
    const seen = speeds.get(bay.bayId);
    let rate = seen?.rate ?? 0;
    if (seen && now > seen.at && seen.left > left) {
      const measured = (seen.left - left) / ((now - seen.at) / 1000);
      rate = rate > 0 ? rate * 0.7 + measured * 0.3 : measured;
    }
    speeds.set(bay.bayId, { at: now, left, rate });
    if (rate <= 0) return t('eta.unknown');
    const seconds = left / rate;
    return seconds < 60 ? t('eta.seconds') : t('eta.minutes', Math.ceil(seconds / 60));
  }

  function show(bay) {
    let tile = bays.querySelector(`[data-bay="${CSS.escape(bay.bayId)}"]`);
    if (!tile) {
      tile = create(bay.bayId);
      bays.append(tile);
    }
    tile.dataset.phase = bay.phase;
    tile.dataset.light = bay.light;
    tile.querySelector('.phase').textContent = t(`phase.${bay.phase}`);
    field(tile, 'serial').textContent = bay.serial || '—';
    field(tile, 'officer').textContent = bay.officerId || '—';
    field(tile, 'battery').textContent = bay.batteryPercent == null ? '—' : `${bay.batteryPercent} %`;
    field(tile, 'clips').textContent = bay.clipsTotal > 0 ? `${bay.clipsDone} / ${bay.clipsTotal}` : '—';
    field(tile, 'eta').textContent = timeLeft(bay);
    // The reason in the officer's language when there is one; the dock's own words otherwise.
    field(tile, 'message').textContent = bay.reason ? t(`reason.${bay.reason}`, bay.reasonCount) : (bay.message || '');
    const part = bay.clipSize > 0 ? bay.clipBytes / bay.clipSize : 0;
    tile.querySelector('progress').value = bay.clipsTotal > 0
      ? Math.min(100, Math.max(0, 100 * (bay.clipsDone + part) / bay.clipsTotal)) : (bay.finished ? 100 : 0);
  }

  function live(isLive) {
    status.dataset.state = isLive ? 'live' : 'reconnecting';
    status.textContent = t(isLive ? 'kiosk.live' : 'kiosk.reconnecting');
  }

  function connect() {
    const source = new EventSource('/kiosk/events');
    source.addEventListener('bays', (event) => {
      live(true);
      const list = JSON.parse(event.data);
      const ids = new Set(list.map((b) => b.bayId));
      for (const bay of list) show(bay);
      for (const tile of bays.querySelectorAll('[data-bay]')) if (!ids.has(tile.dataset.bay)) tile.remove();
    });
    source.addEventListener('error', () => {
      live(false);
      // The browser retries by itself after a dropped connection; after a refused one (the dock answered with an error
      // while starting) it gives up, so start again.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
  }

  connect();
})();
