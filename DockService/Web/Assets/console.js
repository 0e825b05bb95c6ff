// The console's actions: sign in and out, verify a clip or a custody export, acknowledge an alert, enrol and revoke recorders, manage
// users, keep a language. Each goes through the HTTP API; changes carry the session's CSRF token (in the page's meta tag), as the API
// requires of every change made with the session cookie. Every value goes in as text, never as HTML.
(() => {
  'use strict';
  const strings = JSON.parse(document.getElementById('strings').textContent);
  const t = (key, ...args) => (strings[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
  const csrf = () => document.querySelector('meta[name="dock-csrf"]')?.content ?? '';
  const send = (url, body, method = 'POST') => fetch(url, {
    method, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Dock-CSRF': csrf() },
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
})();
