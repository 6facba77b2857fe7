-- The connection to `bosun serve` (Neovim's own LSP client speaks bosun/1 unchanged) and
-- what the plugin knows about the session's workers and orchestrations, kept current from
-- `worker/event`s and `orchestration/event`s.
local config = require('bosun.config')

local M = {}

local TERMINAL = { succeeded = true, failed = true, cancelled = true, timed_out = true, interrupted = true }
M.TERMINAL = TERMINAL

-- Everything the plugin knows; reset when the server exits.
local function fresh_state()
  return {
    starting = false, -- `bosun serve` is being started (its config checked, then initialize)
    client_id = nil,
    client = nil, -- the LSP client object, once initialized
    ready = false,
    waiting = {}, -- callbacks run once `initialize` has answered
    info = nil, -- the initialize result: serverInfo, capabilities, session
    roles = {}, -- role name -> role, from `roles`
    roles_loaded = false, -- `roles` has answered (or failed), so `roles` is the whole list
    waiting_for_roles = {}, -- callbacks run once `roles` has answered
    workers = {}, -- worker id -> the latest Worker/WorkerSummary seen
    order = {}, -- worker ids, first seen first
    last_worker = nil, -- the id the commands default to
    counts = nil, -- workers per state, from the last `status`
    usage = nil, -- the session's usage, from the last `status`
    events = 0, -- worker/event notifications received
    orchestrations = {}, -- orchestration id (o_…) -> { id, goal, state, events = { orchestration/event params… } }
    orchestration_order = {}, -- orchestration ids, first seen first
    asks = {}, -- ask id -> a worker's ask that waits for the person here (`asked` to the client, not answered yet)
    refresh_pending = false,
  }
end

M.state = fresh_state()

-- Functions called (with no arguments) whenever the workers' state changed.
M.listeners = {}

local function changed()
  for _, listener in pairs(M.listeners) do
    listener()
  end
  vim.cmd('redrawstatus')
end

function M.notify(message, level)
  vim.notify('bosun: ' .. message, level or vim.log.levels.INFO, { title = 'bosun' })
end

-- bosun's own message, which says what was wrong and what to do.
function M.notify_error(method, err)
  local message = type(err) == 'table' and (err.message or vim.inspect(err)) or tostring(err)
  local field = type(err) == 'table' and type(err.data) == 'table' and err.data.field
  M.notify(string.format('%s failed: %s%s', method, message, field and (' (field ' .. field .. ')') or ''),
    vim.log.levels.ERROR)
end

-- Records a worker (or summary) from the server, keeping fields a summary lacks.
function M.remember(worker)
  local known = M.state.workers[worker.id]
  if not known then
    table.insert(M.state.order, worker.id)
    M.state.workers[worker.id] = worker
  else
    M.state.workers[worker.id] = vim.tbl_extend('force', known, worker)
  end
end

-- The worker a command means: the one given, else the last one spawned or seen.
function M.worker_or_last(id)
  id = id or M.state.last_worker
  if not id then
    M.notify('no worker yet: :BosunSpawn one first, or name it (w_…)', vim.log.levels.WARN)
  end
  return id
end

function M.supports(method)
  local info = M.state.info
  local methods = info and info.capabilities and info.capabilities.methods or {}
  return vim.tbl_contains(methods, method)
end

-- Refreshes every worker's steps, tokens and cost from `status`, at most ten times a second.
function M.refresh()
  if M.state.refresh_pending or not M.state.ready then
    return
  end
  M.state.refresh_pending = true
  vim.defer_fn(function()
    M.state.refresh_pending = false
    M.request('status', vim.empty_dict(), function(result)
      for _, worker in ipairs(result.workers or {}) do
        M.remember(worker)
      end
      M.state.counts = result.session and result.session.counts
      M.state.usage = result.usage
      changed()
    end)
  end, 100)
end

local function on_worker_end(id, kind)
  M.request('status', { workerId = id }, function(worker)
    M.remember(worker)
    changed()
    if not config.options.notify_on_end then
      return
    end
    local detail = worker.result and worker.result.text or (worker.error and worker.error.message) or ''
    detail = vim.split(detail, '\n', { trimempty = true })[1] or ''
    local level = kind == 'succeeded' and vim.log.levels.INFO or vim.log.levels.WARN
    M.notify(string.format('%s %s: %s', id, kind, detail), level)
  end)
end

local STATE_OF_EVENT = { queued = 'queued', started = 'running', asked = 'waiting' }

local function on_worker_event(_, event)
  M.state.events = M.state.events + 1
  local worker = M.state.workers[event.workerId]
  local state = TERMINAL[event.kind] and event.kind or STATE_OF_EVENT[event.kind]
  if worker and state then
    worker.state = state
  elseif not worker then
    M.remember({ id = event.workerId, state = state or 'running', role = '', task = '' })
  end
  if event.kind == 'changes' then -- its layer's review state and files, as `status` shows them
    M.state.workers[event.workerId].changes = event.data
  elseif event.kind == 'asked' and event.data.to == 'client' then
    M.state.asks[event.data.ask.askId] = event.data.ask
    require('bosun.asks').put(event.data.ask)
  elseif event.kind == 'answered' then
    M.state.asks[event.data.askId] = nil
  end
  if TERMINAL[event.kind] then
    on_worker_end(event.workerId, event.kind)
  end
  vim.cmd('doautocmd <nomodeline> User BosunWorkerEvent')
  changed()
  M.refresh()
end

local ORCHESTRATION_END = { succeeded = true, partial = true, failed = true, cancelled = true, interrupted = true }
M.ORCHESTRATION_END = ORCHESTRATION_END

-- An orchestration's plan and decisions are worth a notification; its end comes with the
-- `orchestrate` answer, and its subtasks' workers with their own events.
local function on_orchestration_event(_, event)
  local id = event.orchestrationId
  local known = M.state.orchestrations[id]
  if not known then
    known = { id = id, state = 'planning', events = {} }
    M.state.orchestrations[id] = known
    table.insert(M.state.orchestration_order, id)
  end
  table.insert(known.events, event)
  local data = type(event.data) == 'table' and event.data or {}
  if event.kind == 'started' then
    known.goal = data.goal
  elseif event.kind == 'plan' then
    known.state = 'running'
    local ids = vim.tbl_map(function(subtask)
      return subtask.id
    end, data.plan and data.plan.subtasks or {})
    M.notify(string.format('%s planned %d subtask(s): %s', id, #ids, table.concat(ids, ', ')))
  elseif event.kind == 'decision' then
    M.notify(string.format('%s decided %s on %s: %s', id, data.kind, data.subtask, data.reason or ''),
      vim.log.levels.WARN)
  elseif event.kind == 'synthesis' then
    known.state = 'synthesizing'
  elseif ORCHESTRATION_END[event.kind] then
    known.state = event.kind
  end
  vim.cmd('doautocmd <nomodeline> User BosunOrchestrationEvent')
  changed()
end

local function on_progress(err, result, ctx, handler_config)
  vim.lsp.handlers['$/progress'](err, result, ctx, handler_config)
  changed()
end

local function on_dropped(_, result)
  M.notify(result.message or 'some worker events were dropped', vim.log.levels.WARN)
end

-- Neovim 0.11 deprecated vim.lsp.start_client for vim.lsp.start, which (with `attach = false`)
-- starts a client without attaching it to the current buffer; 0.7 to 0.10 have only the former.
local function start_lsp_client(client_config)
  if vim.fn.has('nvim-0.11') == 1 then
    return vim.lsp.start(client_config, { attach = false, reuse_client = function() return false end })
  end
  return vim.lsp.start_client(client_config)
end

local function roles_answered(state)
  state.roles_loaded = true
  local waiting = state.waiting_for_roles
  state.waiting_for_roles = {}
  for _, waiter in ipairs(waiting) do
    waiter(state.roles)
  end
end

-- Starts `bosun serve` through Neovim's LSP client.
local function start_serve(state, cmd, root_dir)
  local init_options = config.options.init_options
  state.client_id = start_lsp_client({
    name = 'bosun',
    cmd = cmd,
    root_dir = root_dir,
    init_options = next(init_options or {}) and init_options or nil,
    handlers = {
      ['worker/event'] = on_worker_event,
      ['orchestration/event'] = on_orchestration_event,
      ['$/progress'] = on_progress,
      ['bosun/notificationsDropped'] = on_dropped,
    },
    on_init = function(client, result)
      state.info = result
      state.client = client
      state.ready = true
      M.request('roles', vim.empty_dict(), function(roles)
        for _, role in ipairs(roles.roles or {}) do
          state.roles[role.name] = role
        end
        roles_answered(state)
      end, function(err)
        M.notify_error('roles', err)
        roles_answered(state)
      end)
      local waiting = state.waiting
      state.waiting = {}
      for _, waiter in ipairs(waiting) do
        waiter(client)
      end
    end,
    on_exit = function(code, signal)
      vim.schedule(function()
        if M.state == state then
          M.state = fresh_state()
          changed()
        end
        if code ~= 0 then
          M.notify(string.format('bosun serve exited with code %d (signal %d); its stderr is in the LSP log, %s',
            code, signal, require('vim.lsp.log').get_filename()), vim.log.levels.ERROR)
        end
      end)
    end,
  })
end

-- Runs `callback(client)` once bosun is up, starting `bosun serve` if needed. The
-- configuration is checked first (`bosun config check`, without blocking the editor):
-- Neovim's LSP client has no way to report a refused `initialize` other than an error
-- trace, while the check's own message says what is wrong and what to do.
function M.with_client(callback)
  local state = M.state
  if state.ready then
    return callback(state.client)
  end
  table.insert(state.waiting, callback)
  if state.starting then
    return
  end
  local cmd = config.serve_cmd()
  if vim.fn.executable(cmd[1]) ~= 1 then
    state.waiting = {}
    return M.notify(string.format("'%s' is not an executable; install bosun or set require('bosun').setup{cmd = '/path/to/bosun'}",
      cmd[1]), vim.log.levels.ERROR)
  end
  state.starting = true
  local root_dir = config.options.root_dir or (vim.uv or vim.loop).cwd()
  local check = { cmd[1], 'config', 'check' }
  if config.options.config then
    vim.list_extend(check, { '--config', config.options.config })
  end
  local errors = {}
  vim.fn.jobstart(check, {
    cwd = root_dir,
    stdout_buffered = true,
    stderr_buffered = true,
    on_stderr = function(_, lines)
      errors = lines
    end,
    on_exit = function(_, code)
      if M.state ~= state then
        return
      end
      if code ~= 0 then
        M.state = fresh_state()
        return M.notify('cannot start: ' .. vim.trim(table.concat(errors, '\n')), vim.log.levels.ERROR)
      end
      start_serve(state, cmd, root_dir)
    end,
  })
end

-- Runs `callback(roles)` (role name -> role) once bosun is up and has listed its roles, so a
-- command can tell a role name from the first word of a task.
function M.with_roles(callback)
  local state = M.state
  if state.roles_loaded then
    return callback(state.roles)
  end
  table.insert(state.waiting_for_roles, callback)
  M.with_client(function() end)
end

-- Neovim 0.11 made the client's functions methods (`client:request`); 0.7 to 0.10 call them plainly.
local function send_request(lsp_client, method, params, handler)
  if vim.fn.has('nvim-0.11') == 1 then
    return lsp_client:request(method, params, handler)
  end
  return lsp_client.request(method, params, handler)
end

-- Sends `method` and calls `on_result(result)`; an error answer goes to vim.notify with
-- bosun's message, or to `on_error(err)` when given. Returns nothing: the answer is async.
function M.request(method, params, on_result, on_error)
  M.with_client(function(lsp_client)
    send_request(lsp_client, method, params, function(err, result)
      if err then
        return (on_error or function(e)
          M.notify_error(method, e)
        end)(err)
      end
      on_result(result)
    end)
  end)
end

-- Stops `bosun serve` (shutdown, exit); running workers are marked interrupted.
function M.stop()
  if M.state.client_id then
    vim.lsp.stop_client(M.state.client_id)
  end
end

return M
