// The console's few actions: sign in, sign out, acknowledge an alert. Each goes through the HTTP API; changes carry the session's
// CSRF token (in the page's meta tag), as the API requires of every change made with the session cookie.
(() => {
  'use strict';
  const strings = JSON.parse(document.getElementById('strings').textContent);
  const t = (key, ...args) => (strings[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
  const csrf = () => document.querySelector('meta[name="dock-csrf"]')?.content ?? '';
  const send = (url, body) => fetch(url, {
    method: 'POST', credentials: 'same-origin',
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
      result.append(list);
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
