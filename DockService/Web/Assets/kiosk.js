// The kiosk: keeps the server-rendered bay tiles up to date from /kiosk/events (Server-Sent Events, no polling) and
// reconnects by itself when the dock restarts. An officer signs in with badge number and PIN (a touch PIN pad) to see their own
// cameras and newest footage; with no touch for the configured time the screen signs them out and goes back to the bays.
// Plain script, no build step; every value goes in as text, never as HTML.
(() => {
  'use strict';
  const strings = JSON.parse(document.getElementById('strings').textContent);
  const t = (key, ...args) => (strings[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
  const bays = document.getElementById('bays');
  const status = document.getElementById('status');
  const speeds = new Map(); // bay id → { at, left, rate } for the time-left estimate
  let onBay = () => {}; // set by the officer's view below

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
    field(tile, 'message').textContent = bay.pickedFor ? t('kiosk.takeMe', bay.pickedFor)
      : bay.reason ? t(`reason.${bay.reason}`, bay.reasonCount) : (bay.message || '');
    const part = bay.clipSize > 0 ? bay.clipBytes / bay.clipSize : 0;
    tile.querySelector('progress').value = bay.clipsTotal > 0
      ? Math.min(100, Math.max(0, 100 * (bay.clipsDone + part) / bay.clipsTotal)) : (bay.finished ? 100 : 0);
  }

  // #status is "connecting" as served, "live" from the stream's first event, "reconnecting" while the dock is away.
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
      for (const bay of list) { show(bay); onBay(bay); }
      for (const tile of bays.querySelectorAll('[data-bay]')) if (!ids.has(tile.dataset.bay)) tile.remove();
    });
    source.addEventListener('error', () => {
      live(false);
      // The browser retries by itself after a dropped connection; after a refused one (the dock answered with an error
      // while starting) it gives up, so start again.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
  }

  // ---- officer sign-in ------------------------------------------------------------------------------------------------------
  const form = document.getElementById('kiosk-signin');
  const signin = document.getElementById('signin');
  const mine = document.getElementById('mine');
  const error = document.getElementById('signin-error');
  const idleSeconds = Number(document.body.dataset.idleSeconds) || 60;
  let session = null; // { csrf, serials: Set, phases: Map } while an officer is signed in
  let idleTimer = 0;

  document.querySelector('.pinpad')?.addEventListener('click', (event) => {
    const key = event.target.closest('button');
    if (!key) return;
    const pin = form.elements.pin;
    if (key.dataset.digit && pin.value.length < 12) pin.value += key.dataset.digit;
    else if (key.dataset.key === 'back') pin.value = pin.value.slice(0, -1);
    else if (key.dataset.key === 'clear') pin.value = '';
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const answer = await fetch('/api/v1/kiosk/signin', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ badge: form.elements.badge.value.trim(), pin: form.elements.pin.value }),
    }).catch(() => null);
    form.elements.pin.value = '';
    if (!answer || !answer.ok) {
      error.textContent = t(answer?.status === 429 ? 'kiosk.tooMany' : 'kiosk.refused');
      error.hidden = false;
      return;
    }
    const body = await answer.json();
    session = { csrf: body.csrfToken, serials: new Set(), phases: new Map() };
    form.reset();
    await refreshMine();
    signin.hidden = true;
    mine.hidden = false;
    document.body.dataset.view = 'mine';
    touched();
    document.getElementById('kiosk-signout').focus();
  });

  async function refreshMine() {
    if (!session) return;
    const answer = await fetch('/api/v1/kiosk/mine', { credentials: 'same-origin' }).catch(() => null);
    if (!answer || !answer.ok) { if (answer && (answer.status === 401 || answer.status === 403)) signOut(); return; }
    const view = await answer.json();
    document.getElementById('mine-title').textContent = t('kiosk.hello', view.name, view.badge);
    session.serials = new Set(view.recorders.map((r) => r.serial));
    session.badge = view.badge;
    const cameras = document.getElementById('my-recorders');
    cameras.replaceChildren(...(view.recorders.length ? view.recorders.map((r) => {
      const item = document.createElement('li');
      item.dataset.recorder = r.serial;
      item.textContent = r.bay ? t('kiosk.docked', r.serial, r.bay.bayId, t(`phase.${r.bay.phase}`))
        : r.dueAt ? t('kiosk.holding', r.serial, new Date(r.dueAt).toLocaleString())
        : t('kiosk.notDocked', r.serial, r.lastDockedAt ? new Date(r.lastDockedAt).toLocaleString() : '—');
      return item;
    }) : [Object.assign(document.createElement('li'), { textContent: t('kiosk.noCamera') })]));
    const categories = new Map(view.categories.map((c) => [c.id, document.documentElement.lang === 'zh-CN' ? c.nameZh || c.name : c.name]));
    const select = document.getElementById('tag-category');
    if (select.options.length === 1) {
      for (const [id, name] of categories) select.append(Object.assign(document.createElement('option'), { value: id, textContent: name }));
    }
    const picked = new Set([...document.querySelectorAll('#my-clips input.pick:checked')].map((box) => box.value));
    const rows = view.clips.map((c) => {
      const row = document.createElement('tr');
      row.dataset.clip = c.clipId;
      if (c.thisDocking) row.className = 'this-docking';
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', className: 'pick', value: `${c.serial}/${c.clipId}` });
      box.dataset.serial = c.serial;
      box.dataset.clipId = c.clipId;
      box.dataset.thisDocking = String(c.thisDocking);
      box.checked = picked.has(box.value);
      box.setAttribute('aria-label', t('kiosk.selectClip', c.clipId));
      const pick = document.createElement('td');
      pick.append(box);
      const tags = [c.caseNumber, c.purpose, c.category ? categories.get(c.category) ?? c.category : null].filter(Boolean).join(' · ');
      const missing = (c.missing ?? []).map((f) => t(`tag.${f}`)).join(', ');
      const cells = [c.serial, c.clipId, new Date(c.recordedFrom).toLocaleString(),
        t(`state.${c.state}`) + (c.thisDocking ? ` · ${t('kiosk.thisDocking')}` : ''),
        [tags, missing ? t('kiosk.missing', missing) : ''].filter(Boolean).join(' — ') || '—'];
      row.append(pick);
      for (const text of cells) row.append(Object.assign(document.createElement('td'), { textContent: text }));
      row.lastChild.dataset.field = 'tags';
      return row;
    });
    document.getElementById('my-clips').replaceChildren(...rows);
    document.getElementById('no-footage').hidden = rows.length > 0;
    // R10: footage left untagged past the dock's deadline is the first thing the officer is told.
    const overdue = document.getElementById('overdue');
    overdue.hidden = view.overdueClips === 0;
    overdue.textContent = view.overdueClips > 0 ? t('kiosk.overdue', view.overdueClips) : '';
    for (const tile of bays.querySelectorAll('[data-bay]')) markMine(tile);
  }

  function markMine(tile) {
    const serial = field(tile, 'serial').textContent;
    tile.classList.toggle('mine', !!session && session.serials.has(serial));
  }

  async function signOut() {
    clearTimeout(idleTimer);
    const was = session;
    session = null;
    mine.hidden = true;
    signin.hidden = false;
    delete document.body.dataset.view;
    document.getElementById('my-clips').replaceChildren();
    document.getElementById('my-recorders').replaceChildren();
    tagForm.reset();
    tagResult.textContent = '';
    checkoutForm.reset();
    checkoutResult.textContent = '';
    for (const key of ['outcome', 'serial', 'bay', 'refusal']) delete checkoutResult.dataset[key];
    for (const tile of bays.querySelectorAll('.mine')) tile.classList.remove('mine');
    if (was) {
      await fetch('/api/v1/kiosk/signout', { method: 'POST', credentials: 'same-origin', headers: { 'X-Dock-CSRF': was.csrf } }).catch(() => null);
    }
  }

  // Any touch, click or key keeps the officer signed in; none for idleSeconds signs them out (a shared screen).
  function touched() {
    if (!session) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(signOut, idleSeconds * 1000);
  }
  for (const kind of ['pointerdown', 'keydown']) document.addEventListener(kind, touched, { passive: true });
  document.getElementById('kiosk-signout').addEventListener('click', () => signOut());

  // ---- tagging the footage just offloaded: several clips at once -------------------------------------------------------------
  const tagForm = document.getElementById('tag-form');
  const tagResult = document.getElementById('tag-result');
  document.getElementById('pick-docking').addEventListener('click', () => {
    for (const box of document.querySelectorAll('#my-clips input.pick')) box.checked = box.dataset.thisDocking === 'true';
  });
  tagForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const clips = [...document.querySelectorAll('#my-clips input.pick:checked')].map((box) => ({ serial: box.dataset.serial, clipId: box.dataset.clipId }));
    if (clips.length === 0) { tagResult.textContent = t('kiosk.pickSome'); return; }
    // Only what the officer filled in: an empty field leaves each clip's value as it is.
    const body = { clips };
    // A sensitivity is only raised here (R6: lowering one is a supervisor's, in the console).
    for (const name of ['caseNumber', 'purpose', 'category', 'sensitivity']) if (tagForm.elements[name].value.trim()) body[name] = tagForm.elements[name].value.trim();
    const answer = await fetch('/api/v1/kiosk/tags', {
      method: 'PUT', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-Dock-CSRF': session?.csrf ?? '' },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (!answer || !answer.ok) {
      const problem = answer ? await answer.json().catch(() => ({})) : {};
      const detail = problem.errors ? Object.values(problem.errors).flat().join(' ') : problem.detail ?? problem.title ?? answer?.status ?? '—';
      tagResult.textContent = t('kiosk.tagFailed', detail);
      tagResult.dataset.outcome = 'failed';
      return;
    }
    tagResult.textContent = t('kiosk.saved', clips.length);
    tagResult.dataset.outcome = 'saved';
    tagForm.reset();
    await refreshMine();
  });

  // ---- checkout: the dock picks a ready camera, writes the officer to it and lights its bay -----------------------------------
  const checkoutForm = document.getElementById('checkout-form');
  const checkoutResult = document.getElementById('checkout-result');
  checkoutForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const accompaniedBy = checkoutForm.elements.accompaniedBy.value.trim();
    checkoutResult.textContent = '…';
    const answer = await fetch('/api/v1/kiosk/checkout', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-Dock-CSRF': session?.csrf ?? '' },
      body: JSON.stringify(accompaniedBy ? { accompaniedBy } : {}),
    }).catch(() => null);
    const outcome = answer ? await answer.json().catch(() => null) : null;
    if (!outcome || (!answer.ok && !outcome.refusalCode)) {
      checkoutResult.textContent = t('kiosk.tagFailed', answer?.status ?? '—');
      checkoutResult.dataset.outcome = 'failed';
      return;
    }
    if (outcome.granted) {
      const short = outcome.belowMinimum;
      checkoutResult.textContent = t('kiosk.takeFrom', outcome.serial, outcome.bayId)
        + (short ? ' ' + t('kiosk.belowMinimum', short.unit, short.readyLeft, short.minimum) : '');
      checkoutResult.dataset.outcome = 'granted';
      checkoutResult.dataset.serial = outcome.serial;
      checkoutResult.dataset.bay = outcome.bayId;
      await refreshMine();
    } else {
      // The reason in the officer's words, then the dock's own detail (which camera, which date).
      checkoutResult.textContent = `${t(`refusal.${outcome.refusalCode}`)} ${outcome.message}`;
      checkoutResult.dataset.outcome = 'refused';
      checkoutResult.dataset.refusal = outcome.refusalCode;
    }
  });

  // A bay of the officer's that changes phase (e.g. to done) brings new footage: read their view again.
  onBay = (bay) => {
    const tile = bays.querySelector(`[data-bay="${CSS.escape(bay.bayId)}"]`);
    if (tile) markMine(tile);
    if (!session || !bay.serial || !(session.serials.has(bay.serial) || bay.officerId === session.badge)) return;
    const before = session.phases.get(bay.bayId);
    session.phases.set(bay.bayId, bay.phase);
    if (before !== undefined && before !== bay.phase) refreshMine();
  };

  connect();
})();
