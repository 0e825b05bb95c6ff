// The console's actions: sign in and out, verify a clip or a custody export, acknowledge an alert, enrol and revoke recorders, manage
// users, keep a language. Each goes through the HTTP API; changes carry the session's CSRF token (in the page's meta tag), as the API
// requires of every change made with the session cookie. Every value goes in as text, never as HTML.
(() => {
  'use strict';
  const strings = JSON.parse(document.getElementById('strings').textContent);
  const t = (key, ...args) => (strings[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
  const csrf = () => document.querySelector('meta[name="dock-csrf"]')?.content ?? '';
  // A sensitive clip's page was opened under a retrieval (R5): its actions go under the same one.
  const retrieval = new URLSearchParams(window.location.search).get('retrieval') ?? '';
  const send = (url, body, method = 'POST') => fetch(url, {
    method, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Dock-CSRF': csrf(), 'X-Dock-Retrieval': retrieval },
    body: JSON.stringify(body ?? {}),
  });

  const login = document.getElementById('login');
  if (login) {
    login.addEventListener('submit', async (event) => {
      event.preventDefault();
      const error = document.getElementById('login-error');
      error.hidden = true;
      const answer = await fetch('/api/v1/login', {
        method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: login.elements.name.value, password: login.elements.password.value }),
      });
      if (answer.ok) window.location.assign(login.dataset.return || '/');
      else { error.hidden = false; login.elements.password.value = ''; login.elements.password.focus(); }
    });
  }

  document.getElementById('logout')?.addEventListener('click', async () => {
    await send('/api/v1/logout');
    window.location.assign('/login');
  });

  const verify = document.getElementById('verify');
  verify?.addEventListener('click', async () => {
    const result = document.getElementById('verify-result');
    result.replaceChildren();
    const running = document.createElement('p');
    running.textContent = t('verify.running');
    result.append(running);
    verify.disabled = true;
    try {
      const answer = await send(`/api/v1/clips/${encodeURIComponent(verify.dataset.serial)}/${encodeURIComponent(verify.dataset.clip)}/verify`);
      const body = await answer.json().catch(() => ({}));
      if (!answer.ok) { running.textContent = t('verify.error', body.detail ?? body.title ?? answer.status); return; }
      running.dataset.outcome = body.outcome;
      running.textContent = body.outcome === 'verified' ? t('verify.ok') : t('verify.failed', body.outcome);
      running.className = body.outcome === 'verified' ? 'ok' : 'error';
      showSteps(result, body);
    } finally {
      verify.disabled = false;
    }
  });

  const failed = (form, problem, status) => {
    const note = document.createElement('p');
    note.className = 'error';
    note.setAttribute('role', 'alert');
    note.textContent = t('action.failed', problem.detail ?? problem.title ?? status);
    form.append(note);
  };

  for (const form of document.querySelectorAll('form.revoke')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const answer = await send(`/api/v1/recorders/${encodeURIComponent(form.dataset.serial)}/revoke`, { reason: form.elements.reason.value });
      if (answer.ok) window.location.reload();
      else failed(form, await answer.json().catch(() => ({})), answer.status);
    });
  }

  const enrol = document.getElementById('enrol');
  enrol?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = await send('/api/v1/recorders', { serial: enrol.elements.serial.value, publicKey: enrol.elements.publicKey.value });
    if (answer.ok) window.location.reload();
    else failed(enrol, await answer.json().catch(() => ({})), answer.status);
  });

  // ---- verification results (a clip, or a custody export) --------------------------------------------------------------------
  function showSteps(target, body) {
    const list = document.createElement('ul');
    list.className = 'steps';
    for (const step of body.steps) {
      const item = document.createElement('li');
      item.dataset.ok = String(step.ok);
      const mark = document.createElement('strong');
      mark.textContent = `${step.ok ? '✓' : '✗'} ${step.name}`;
      item.append(mark, document.createTextNode(` — ${step.detail}`));
      list.append(item);
    }
    target.append(list);
  }

  const exportForm = document.getElementById('verify-export');
  exportForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = document.getElementById('export-result');
    const file = exportForm.elements.bundle.files[0];
    if (!file) return;
    const line = document.createElement('p');
    line.textContent = t('verify.running');
    result.replaceChildren(line);
    const answer = await fetch('/api/v1/custody/verify', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/zip', 'X-Dock-CSRF': csrf() }, body: file,
    }).catch(() => null);
    const body = answer ? await answer.json().catch(() => ({})) : {};
    if (!answer || !answer.ok) { line.className = 'error'; line.textContent = t('verify.error', body.detail ?? body.title ?? answer?.status ?? '—'); return; }
    line.dataset.outcome = body.outcome;
    line.className = body.outcome === 'verified' ? 'ok' : 'error';
    line.textContent = body.outcome === 'verified' ? t('custody.verified', body.entries, body.checkpoints) : t('verify.failed', body.outcome);
    showSteps(result, body);
  });

  // ---- users (it-admin) ------------------------------------------------------------------------------------------------------
  const roles = (form) => [...form.querySelectorAll('input[name="roles"]:checked')].map((box) => box.value);
  const user = (name) => `/api/v1/users/${encodeURIComponent(name)}`;
  const reloadOr = async (form, answer) => {
    if (answer.ok) { window.location.reload(); return; }
    failed(form, await answer.json().catch(() => ({})), answer.status);
  };

  const addUser = document.getElementById('add-user');
  addUser?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const e = addUser.elements;
    await reloadOr(addUser, await send('/api/v1/users', { name: e.name.value, password: e.password.value, roles: roles(addUser), badge: e.badge.value || null }));
  });
  for (const form of document.querySelectorAll('form.user-roles')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      await reloadOr(form, await send(`${user(form.dataset.user)}/roles`, { roles: roles(form) }, 'PUT'));
    });
  }
  for (const form of document.querySelectorAll('form.user-badge')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      await reloadOr(form, await send(`${user(form.dataset.user)}/badge`, { badge: form.elements.badge.value || null }, 'PUT'));
    });
  }
  for (const button of document.querySelectorAll('button.user-toggle')) {
    button.addEventListener('click', async () => reloadOr(button.parentElement, await send(`${user(button.dataset.user)}/${button.dataset.action}`)));
  }
  for (const button of document.querySelectorAll('button.user-pin')) {
    button.addEventListener('click', async () => {
      const answer = await send(`${user(button.dataset.user)}/pin`, {});
      if (!answer.ok) { failed(button.parentElement, await answer.json().catch(() => ({})), answer.status); return; }
      // Shown once, here: the dock keeps only its hash.
      const shown = document.getElementById('pin-shown');
      shown.textContent = t('users.pinIs', button.dataset.user, (await answer.json()).pin);
      button.closest('td').firstChild.textContent = `${t('users.pinSet')} `;
      shown.focus?.();
    });
  }

  // ---- language: a signed-in person's choice is kept with their account, so it follows them to any browser -------------------
  if (document.getElementById('logout')) {
    for (const link of document.querySelectorAll('nav.languages a[lang]')) {
      link.addEventListener('click', async (event) => {
        event.preventDefault();
        await send('/api/v1/me/language', { language: link.lang }, 'PUT').catch(() => null);
        window.location.assign(link.href);
      });
    }
  }

  // A change made from a form: the page reloads to show it, or the form says why not (a validation problem names its fields).
  const sendThenReload = async (form, url, body, method = 'POST') => {
    const answer = await send(url, body, method);
    if (answer.ok) { window.location.reload(); return; }
    const problem = await answer.json().catch(() => ({}));
    failed(form, problem.errors ? { detail: Object.values(problem.errors).flat().join(' ') } : problem, answer.status);
  };

  // ---- a clip's tags: the form holds what was set; an emptied field clears it --------------------------------------------------
  const editTags = document.getElementById('edit-tags');
  editTags?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const e = editTags.elements;
    const body = {
      caseNumber: e['case-number'].value, purpose: e.purpose.value, capturePlace: e['capture-place'].value, notes: e.notes.value,
      // Several categories may apply; none selected clears it.
      category: Array.from(e.category.selectedOptions, (o) => o.value).join(','), reason: e.reason.value,
    };
    await sendThenReload(editTags, `/api/v1/clips/${encodeURIComponent(editTags.dataset.serial)}/${encodeURIComponent(editTags.dataset.clip)}/metadata`, body, 'PUT');
  });

  // Legal holds on the clip page: placed by supervisors and auditors, lifted by supervisors, each with a reason (a custody entry).
  const placeHold = document.getElementById('place-hold');
  placeHold?.addEventListener('submit', async (event) => {
    event.preventDefault();
    await sendThenReload(placeHold, '/api/v1/holds', { serial: placeHold.dataset.serial, clipId: placeHold.dataset.clip, reason: placeHold.elements.reason.value });
  });
  for (const form of document.querySelectorAll('form.lift-hold')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      await sendThenReload(form, `/api/v1/holds/${form.dataset.hold}/lift`, { reason: form.elements.reason.value });
    });
  }

  // A roster file (units, officers, recorders) goes to the API as CSV; every bad row is listed by its line, and nothing is changed then.
  for (const form of document.querySelectorAll('form.roster-import')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const file = form.elements.file.files[0];
      if (!file) return;
      const answer = await fetch(`/api/v1/registry/${form.dataset.kind}`, {
        method: 'PUT', credentials: 'same-origin', headers: { 'Content-Type': 'text/csv', 'X-Dock-CSRF': csrf() }, body: await file.text(),
      });
      const result = await answer.json().catch(() => ({}));
      form.querySelector('.outcome')?.remove();
      const note = document.createElement('div');
      note.className = answer.ok ? 'outcome' : 'outcome error';
      note.setAttribute('role', answer.ok ? 'status' : 'alert');
      if (answer.ok) {
        note.textContent = t('registry.done', result.added, result.changed, result.unchanged);
        form.append(note);
        window.setTimeout(() => window.location.reload(), 1500);
        return;
      }
      const list = document.createElement('ul');
      for (const [line, problems] of Object.entries(result.errors ?? { '': [result.detail ?? result.title ?? answer.status] }))
        for (const problem of problems) {
          const item = document.createElement('li');
          item.textContent = line ? `${line}: ${problem}` : problem;
          list.append(item);
        }
      note.textContent = t('registry.failed');
      note.append(list);
      form.append(note);
    });
  }

  for (const form of document.querySelectorAll('form.acknowledge')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const answer = await send(`/api/v1/alerts/${form.dataset.alert}/acknowledge`, { reason: form.elements.reason.value });
      if (answer.ok) { window.location.reload(); return; }
      const problem = await answer.json().catch(() => ({}));
      const note = document.createElement('p');
      note.className = 'error';
      note.setAttribute('role', 'alert');
      note.textContent = t('alerts.failed', problem.detail ?? problem.title ?? answer.status);
      form.append(note);
    });
  }

  // ---- supervised retrieval (R5, R6) ---------------------------------------------------------------------------------------------
  // Every play, download or sensitive read first states why; the dock records it (a custody entry) and answers with a token.
  const clipUrl = (form) => `/clips/${encodeURIComponent(form.dataset.serial)}/${encodeURIComponent(form.dataset.clip)}`;
  const openRetrieval = async (form, kind) => {
    const e = form.elements;
    for (const old of form.querySelectorAll('p.error')) old.remove();
    const answer = await send(`/api/v1${clipUrl(form)}/retrievals`,
      { kind, purpose: e.purpose.value, caseNumber: e.caseNumber.value, text: e.text.value });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      failed(form, body.errors ? { detail: Object.values(body.errors).flat().join(' ') } : body, answer.status);
      return null;
    }
    return body.token;
  };
  const retrieveForm = document.getElementById('retrieve-form');
  retrieveForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = event.submitter?.dataset.kind ?? 'view';
    const token = await openRetrieval(retrieveForm, kind);
    if (!token) return;
    if (kind === 'view') window.location.assign(`${clipUrl(retrieveForm)}/play?retrieval=${encodeURIComponent(token)}`);
    else window.location.assign(`/api/v1${clipUrl(retrieveForm)}/content?retrieval=${encodeURIComponent(token)}`);
  });
  const gate = document.getElementById('reason-gate');
  gate?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = await openRetrieval(gate, 'metadata');
    if (token) window.location.assign(`${clipUrl(gate)}?retrieval=${encodeURIComponent(token)}`);
  });
  const setSensitivity = document.getElementById('set-sensitivity');
  setSensitivity?.addEventListener('submit', async (event) => {
    event.preventDefault();
    await sendThenReload(setSensitivity, `/api/v1${clipUrl(setSensitivity)}/sensitivity`,
      { level: setSensitivity.elements.level.value, reason: setSensitivity.elements.reason.value }, 'PUT');
  });

  // The overlay on the player: who is watching and the time now, redrawn every second (the evidence file is never altered).
  const overlay = document.getElementById('overlay');
  if (overlay) {
    const draw = () => { overlay.textContent = `${overlay.dataset.user} · ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`; };
    draw();
    window.setInterval(draw, 1000);
  }

  // A case file export comes back as a ZIP: saved through a link to the downloaded bytes.
  const caseExport = document.getElementById('case-export');
  caseExport?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const status = document.getElementById('case-status');
    const number = caseExport.elements.caseNumber.value.trim();
    status.textContent = t('case.running');
    const answer = await send(`/api/v1/cases/${encodeURIComponent(number)}/export`, { reason: caseExport.elements.reason.value });
    if (!answer.ok) {
      const problem = await answer.json().catch(() => ({}));
      status.textContent = t('action.failed', problem.detail ?? (problem.errors ? Object.values(problem.errors).flat().join(' ') : answer.status));
      return;
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await answer.blob());
    link.download = `case-${number}.zip`;
    link.textContent = t('case.saved', link.download);
    status.replaceChildren(link);
    link.click();
  });
})();
