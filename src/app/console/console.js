// The operators' console: plain DOM over the admin API (/admin/v1). The token lives in sessionStorage
// (this tab only) and travels in an Authorization header, never in a cookie: a page of another origin
// cannot make the browser send it, so no action can be forged (CSRF). Every value is set as text, never
// parsed as markup (the page's CSP also requires Trusted Types, so an HTML sink would throw).
'use strict'

const TOKEN_KEY = 'leocarte-admin-token'
const $ = (id) => document.getElementById(id)
let attentionCursor = null

function element (tag, text, attributes = {}) {
  const node = document.createElement(tag)
  if (text !== undefined && text !== null) node.textContent = String(text)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  return node
}

function row (cells) {
  const tr = document.createElement('tr')
  for (const cell of cells) {
    const td = document.createElement('td')
    if (cell instanceof Node) td.append(cell)
    else td.textContent = cell === undefined || cell === null ? '' : String(cell)
    tr.append(td)
  }
  return tr
}

function say (text, isError = false) {
  const status = $('status')
  status.textContent = text
  status.className = isError ? 'error' : ''
}

async function api (method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' })
  const answer = response.headers.get('content-type')?.includes('json') ? await response.json() : undefined
  if (response.status === 401) {
    logout()
    throw new Error('the token was refused: log in again')
  }
  if (!response.ok) throw new Error(answer?.detail ?? `${method} ${path}: ${response.status}`)
  return answer
}

function showApp (loggedIn) {
  $('login').hidden = loggedIn
  $('app').hidden = !loggedIn
  $('logout').hidden = !loggedIn
}

function logout () {
  sessionStorage.removeItem(TOKEN_KEY)
  showApp(false)
}

function ago (seconds) {
  if (seconds === null || seconds === undefined) return 'none'
  if (seconds < 120) return `${seconds} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

function localTime (iso) {
  return iso === null || iso === undefined ? '' : new Date(iso).toLocaleString()
}

async function refreshOverview () {
  const overview = await api('GET', '/overview')
  const downstreams = $('downstreams').tBodies[0]
  downstreams.replaceChildren()
  const filter = $('filter-downstream')
  const chosen = filter.value
  filter.replaceChildren(element('option', 'any', { value: '' }))
  for (const [name, d] of Object.entries(overview.downstreams)) {
    downstreams.append(row([name, d.needsAttention, d.outOfSync, d.oldestPendingOppositionSeconds === null ? 'none' : `${ago(d.oldestPendingOppositionSeconds)} (since ${localTime(d.oldestPendingOppositionSince)})`, localTime(d.sweptAt)]))
    filter.append(element('option', name, { value: name }))
  }
  filter.value = chosen
  const lanes = $('lanes').tBodies[0]
  lanes.replaceChildren()
  for (const [name, counts] of Object.entries(overview.queues)) {
    lanes.append(row([name, counts.wait + counts.prioritized, counts.active, counts.delayed, counts.failed]))
  }
}

async function login (event) {
  event.preventDefault()
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim())
  $('token').value = ''
  try {
    await refreshOverview()
    showApp(true)
    say('Logged in.')
    await listAttention(false)
  } catch (error) {
    say(error.message, true)
  }
}

function cardBlock (card, timeline) {
  const block = element('article', undefined, { class: 'card', 'data-card-id': card.cardId })
  block.append(element('h3', `Card ${card.cardId}`))
  const facts = [`state ${card.desired.state}`, card.desired.disableReason ? `reason ${card.desired.disableReason}` : '', `version ${card.version}`, card.desired.csn ? `CSN ${card.desired.csn}` : '', card.desired.crous?.idZdc ? `idZdc ${card.desired.crous.idZdc}` : '', card.desired.escn ? `ESCN ${card.desired.escn}` : '', `last SGC change ${localTime(card.occurredAt)}`]
  block.append(element('p', facts.filter((fact) => fact !== '').join(' · ')))
  const summary = element('ul', undefined, { class: 'summary' })
  for (const [downstream, sync] of Object.entries(card.downstreams)) {
    const line = element('li', `${downstream}: ${sync.summary}`, { class: sync.needsAttention ? 'attention-line' : '', 'data-downstream': downstream })
    line.append(' ')
    if (sync.needsAttention) {
      line.append(actionButton('Replay', async () => await replay(downstream, card.cardId)))
    }
    line.append(actionButton('Re-sync', async () => {
      await api('POST', `/cards/${encodeURIComponent(card.cardId)}/resync?downstream=${downstream}`)
      say(`Re-sync of ${card.cardId} at ${downstream} asked.`)
      await openCard(card.cardId)
    }))
    summary.append(line)
  }
  block.append(summary)
  block.append(element('h4', 'Timeline (latest first)'))
  const table = element('table', undefined, { class: 'timeline-table' })
  const head = table.createTHead().insertRow()
  for (const title of ['When', 'What', 'Downstream', 'Details']) head.append(element('th', title))
  const body = table.createTBody()
  for (const entry of [...timeline].reverse()) body.append(row([localTime(entry.at), entry.type, entry.downstream ?? '', describe(entry)]))
  const scroller = element('div', undefined, { class: 'timeline' })
  scroller.append(table)
  block.append(scroller)
  return block
}

function describe (entry) {
  switch (entry.type) {
    case 'event': return `SGC ${entry.state}${entry.disableReason ? ` (${entry.disableReason})` : ''}${entry.applied ? ` → version ${entry.version}` : `, not applied: ${entry.ignoredBecause ?? ''}`}`
    case 'call': return `${entry.operation}: ${entry.result}`
    case 'fault': return `${entry.code} ${entry.message}${entry.transient ? ' (retried)' : ''}${entry.count > 1 ? ` ×${entry.count} since ${localTime(entry.firstAt)}` : ''}`
    case 'sync': return `version ${entry.version} confirmed: ${entry.outcome}`
    case 'attention': return entry.cleared ? `attention cleared: ${entry.cleared}` : `needs attention: ${entry.code ?? ''} ${entry.reason ?? ''}`
    case 'replay': return `replayed by ${entry.operator}`
    case 'dismiss': return `dismissed by ${entry.operator}: ${entry.reason}`
    case 'resync': return `re-sync asked by ${entry.operator}`
    default: return ''
  }
}

function actionButton (label, action) {
  const button = element('button', label, { type: 'button' })
  button.addEventListener('click', () => {
    button.disabled = true
    action().catch((error) => say(error.message, true)).finally(() => { button.disabled = false })
  })
  return button
}

async function showCards (cards) {
  const container = $('cards')
  container.replaceChildren()
  if (cards.length === 0) container.append(element('p', 'No card found.'))
  for (const card of cards) {
    const { entries } = await api('GET', `/cards/${encodeURIComponent(card.cardId)}/timeline?limit=100`)
    container.append(cardBlock(card, entries))
  }
}

async function search (event) {
  event.preventDefault()
  const kind = $('search-kind').value
  const value = $('search-value').value.trim()
  try {
    const { cards } = await api('GET', `/cards?${kind}=${encodeURIComponent(value)}`)
    await showCards(cards)
    say(`${cards.length} card${cards.length === 1 ? '' : 's'} found.`)
  } catch (error) {
    say(error.message, true)
  }
}

async function openCard (cardId) {
  const card = await api('GET', `/cards/${encodeURIComponent(cardId)}`)
  await showCards([card])
  $('search').scrollIntoView()
}

function attentionFilter () {
  const query = new URLSearchParams()
  if ($('filter-downstream').value !== '') query.set('downstream', $('filter-downstream').value)
  if ($('filter-code').value.trim() !== '') query.set('code', $('filter-code').value.trim())
  const minutes = $('filter-age').value.trim()
  if (minutes !== '') query.set('minAgeSeconds', String(Math.round(Number(minutes) * 60)))
  return query
}

async function listAttention (nextPage) {
  const query = attentionFilter()
  query.set('limit', '50')
  if (nextPage && attentionCursor !== null) query.set('cursor', attentionCursor)
  const page = await api('GET', `/attention?${query}`)
  attentionCursor = page.nextCursor
  $('attention-next').hidden = page.nextCursor === null
  $('attention-count').textContent = `${page.count} entr${page.count === 1 ? 'y' : 'ies'} match.`
  const body = $('attention-list').tBodies[0]
  body.replaceChildren()
  for (const entry of page.entries) {
    const open = element('button', entry.cardId, { type: 'button', class: 'link' })
    open.addEventListener('click', () => { openCard(entry.cardId).catch((error) => say(error.message, true)) })
    const actions = document.createElement('span')
    const reason = element('input', undefined, { 'aria-label': `Reason to dismiss ${entry.cardId}`, placeholder: 'reason to dismiss', size: '18' })
    actions.append(
      actionButton('Replay', async () => await replay(entry.downstream, entry.cardId)),
      ' ', reason, ' ',
      actionButton('Dismiss', async () => {
        if (reason.value.trim() === '') throw new Error('say why it is dismissed (kept in the card\'s timeline)')
        await api('POST', `/attention/${entry.downstream}/${encodeURIComponent(entry.cardId)}/dismiss`, { reason: reason.value.trim() })
        say(`Dismissed ${entry.cardId} at ${entry.downstream}.`)
        await Promise.all([listAttention(false), refreshOverview()])
      }),
    )
    const tr = row([localTime(entry.at), entry.downstream, open, entry.code, entry.message, actions])
    tr.setAttribute('data-card-id', entry.cardId)
    body.append(tr)
  }
}

async function replay (downstream, cardId) {
  await api('POST', `/attention/${downstream}/${encodeURIComponent(cardId)}/replay`)
  say(`Replayed ${cardId} at ${downstream}.`)
  await Promise.all([listAttention(false), refreshOverview()])
}

async function replayAll () {
  const query = attentionFilter()
  if ([...query.keys()].length === 0) query.set('all', 'true')
  const { matched, replayed } = await api('POST', `/attention/replay?${query}`)
  say(`Replayed ${replayed} of ${matched} entries.`)
  await Promise.all([listAttention(false), refreshOverview()])
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (event) => { login(event).catch((error) => say(error.message, true)) })
  $('logout').addEventListener('click', () => { logout(); say('Logged out.') })
  $('search-form').addEventListener('submit', (event) => { search(event).catch((error) => say(error.message, true)) })
  $('attention-form').addEventListener('submit', (event) => { event.preventDefault(); listAttention(false).catch((error) => say(error.message, true)) })
  $('attention-next').addEventListener('click', () => { listAttention(true).catch((error) => say(error.message, true)) })
  $('replay-all').addEventListener('click', () => { replayAll().catch((error) => say(error.message, true)) })
  $('refresh').addEventListener('click', () => { Promise.all([refreshOverview(), listAttention(false)]).catch((error) => say(error.message, true)) })
  if (sessionStorage.getItem(TOKEN_KEY) !== null) {
    showApp(true)
    Promise.all([refreshOverview(), listAttention(false)]).catch((error) => say(error.message, true))
  }
})
