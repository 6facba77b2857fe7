-- bosun for Neovim: spawn, watch, steer and cancel worker agents, or hand bosun a whole goal
-- to orchestrate, from the editor.
-- `:help bosun` documents the commands; this module is their Lua API.
local client = require('bosun.client')
local config = require('bosun.config')
local asks = require('bosun.asks')
local review = require('bosun.review')
local views = require('bosun.views')

local M = {}

function M.setup(options)
  config.set(options)
end

local worker_or_last = client.worker_or_last

local progress_tokens = 0

-- Spawns a worker. `spec` is spawn's params (task, role?, inputs?, limits?, …); the
-- worker reports progress through Neovim's LSP progress on a token of its own.
function M.spawn(spec, on_spawned)
  progress_tokens = progress_tokens + 1
  local params = vim.tbl_extend('keep', spec, { workDoneToken = 'bosun-spawn-' .. progress_tokens })
  client.request('spawn', params, function(worker)
    client.remember(worker)
    client.state.last_worker = worker.id
    client.notify(string.format('spawned %s (%s, %s)', worker.id, worker.role, worker.state))
    client.refresh()
    if on_spawned then
      on_spawned(worker)
    end
  end)
end

function M.steer(id, message)
  id = worker_or_last(id)
  if not id then
    return
  end
  client.request('steer', { workerId = id, message = message }, function(result)
    client.notify(string.format('steered %s (%s, delivery %s)', result.workerId, result.state, result.delivery))
    client.refresh()
  end)
end

-- Cancels one worker, or every queued and running one with `id == 'all'`.
function M.cancel(id)
  local params
  if id == 'all' then
    params = { all = true }
  else
    id = worker_or_last(id)
    if not id then
      return
    end
    params = { workerId = id }
  end
  params.reason = 'cancelled from Neovim'
  client.request('cancel', params, function(result)
    client.notify('cancelled ' .. (#result.cancelled > 0 and table.concat(result.cancelled, ', ') or 'nothing'))
    client.refresh()
  end)
end

-- Waits (without blocking the editor) for the given workers, default all, and shows
-- their results in a split.
function M.await(ids)
  local params = vim.empty_dict()
  if ids and #ids > 0 then
    params = { workers = ids }
  end
  client.request('await', params, function(result)
    for _, worker in ipairs(result.finished) do
      client.remember(worker)
    end
    views.show_results(result.finished)
  end)
end

local function require_method(method)
  if client.supports(method) then
    return true
  end
  local version = client.state.info and client.state.info.serverInfo.version or '?'
  client.notify(string.format('this bosun (%s) does not implement %s; update bosun', version, method),
    vim.log.levels.ERROR)
  return false
end

-- Runs a shell command as a check on a worker; failures go back to it (`feedback: steer`).
function M.verify(id, command)
  client.with_client(function()
    id = worker_or_last(id)
    if not id or not require_method('verify') then
      return
    end
    local check = { kind = 'command', command = { vim.o.shell, vim.o.shellcmdflag, command } }
    client.notify(string.format('verifying %s with: %s', id, command))
    client.request('verify', { workerId = id, checks = { check }, feedback = 'steer' }, function(result)
      client.remember(result.worker)
      views.show_verification(result)
      client.refresh()
    end)
  end)
end

-- One answer from the given workers' results (default: every succeeded worker).
function M.synthesize(instruction, ids)
  client.with_client(function()
    if not require_method('synthesize') then
      return
    end
    if not ids or #ids == 0 then
      ids = vim.tbl_filter(function(id)
        return client.state.workers[id].state == 'succeeded'
      end, client.state.order)
    end
    if #ids == 0 then
      return client.notify('no succeeded workers to synthesize', vim.log.levels.WARN)
    end
    client.request('synthesize', { workers = ids, instruction = instruction }, views.show_synthesis)
  end)
end

-- bosun as the orchestrator: it plans `goal` into subtasks, runs them on workers, checks
-- them, decides about failures and synthesizes. Progress goes through Neovim's LSP progress;
-- the plan and decisions through vim.notify; the synthesis opens in a split. `options` are
-- more of orchestrate's params (roles, checks, limits, …).
function M.orchestrate(goal, options)
  client.with_client(function()
    if not require_method('orchestrate') then
      return
    end
    progress_tokens = progress_tokens + 1
    local params = vim.tbl_extend('keep', { goal = goal }, options or {},
      { workDoneToken = 'bosun-orchestrate-' .. progress_tokens })
    client.notify('orchestrating: ' .. goal)
    client.request('orchestrate', params, function(result)
      local known = client.state.orchestrations[result.id]
      if known then
        known.state = result.state
      end
      for _, worker in ipairs(result.workers or {}) do
        client.remember(worker)
      end
      views.show_orchestration(result)
      client.refresh()
    end)
  end)
end

-- A worker's events in a split (`html` false), or the session's HTML timeline.
function M.trace(id, html)
  if html then
    return views.open_timeline()
  end
  id = worker_or_last(id)
  if id then
    client.request('trace', { workerId = id, limit = 10000 }, function(result)
      views.show_events(id, result.events)
    end)
  end
end

function M.status()
  client.with_client(function()
    require('bosun.status_window').open()
  end)
end

-- For 'statusline': `bosun: 2 running, 1 waiting, 1 queued $0.0123`, or '' before bosun starts.
function M.statusline()
  local state = client.state
  if not state.ready then
    return ''
  end
  local counts = { running = 0, waiting = 0, queued = 0 }
  for _, worker in pairs(state.workers) do
    if counts[worker.state] then
      counts[worker.state] = counts[worker.state] + 1
    end
  end
  local parts = {}
  for _, name in ipairs({ 'running', 'waiting', 'queued' }) do
    if counts[name] > 0 then
      table.insert(parts, counts[name] .. ' ' .. name)
    end
  end
  local text = 'bosun: ' .. (#parts > 0 and table.concat(parts, ', ') or 'idle')
  if state.usage then
    text = text .. string.format(' $%.4f', state.usage.costUSD or 0)
  end
  return text
end

-- Review of a writing worker's changes (see lua/bosun/review.lua).
M.changes = review.changes
M.apply = review.apply
M.discard = review.discard

-- Prompts again for a worker's pending ask, or for every one (see lua/bosun/asks.lua).
M.answer = asks.answer

M.stop = client.stop

return M
