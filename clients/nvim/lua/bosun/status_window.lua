-- `:BosunStatus`: a floating window with one row per worker, redrawn on every change.
local client = require('bosun.client')
local time = require('bosun.time')

local M = {}

local window = { buf = nil, win = nil, timer = nil }

local function tokens(usage)
  if not usage then
    return '-'
  end
  local total = (usage.inputTokens or 0) + (usage.outputTokens or 0) + (usage.cacheReadTokens or 0)
    + (usage.cacheWriteTokens or 0)
  return total >= 10000 and string.format('%.1fk', total / 1000) or tostring(total)
end

local function cost(usage)
  return usage and string.format('$%.4f', usage.costUSD or 0) or '-'
end

local function elapsed(worker, now)
  local started = time.parse(worker.startedAt)
  if not started then
    return worker.state == 'queued' and 'queued' or '-'
  end
  return time.duration((time.parse(worker.endedAt) or now) - started)
end

-- The columns after the worker id, whose width is the longest id's.
local ROW = '%-11s %-12s %5s %8s %9s %8s  %s'

-- The window's lines for the given state at time `now` (epoch seconds). Pure, for tests.
function M.lines(state, now)
  local lines = {}
  local session = state.info and state.info.session
  local counts, parts = state.counts or {}, {}
  for _, name in ipairs({ 'running', 'waiting', 'queued', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted' }) do
    if (counts[name] or 0) > 0 then
      table.insert(parts, counts[name] .. ' ' .. name)
    end
  end
  table.insert(lines, string.format('bosun  session %s  %s  %s', session and session.id or '(not started)',
    #parts > 0 and table.concat(parts, ', ') or 'no workers', state.usage and ('spent ' .. cost(state.usage)) or ''))
  local id_width = #'WORKER'
  for _, id in ipairs(state.order) do
    id_width = math.max(id_width, #id)
  end
  local row = '%-' .. id_width .. 's ' .. ROW
  table.insert(lines, string.format(row, 'WORKER', 'STATE', 'ROLE', 'STEPS', 'TOKENS', 'COST', 'ELAPSED', 'TASK'))
  for _, id in ipairs(state.order) do
    local worker = state.workers[id]
    local task = (worker.task or ''):gsub('\n', ' ')
    table.insert(lines, string.format(row, id, worker.state or '?', worker.role or '', tostring(worker.steps or 0),
      tokens(worker.usage), cost(worker.usage), elapsed(worker, now), task))
  end
  if #state.order == 0 then
    table.insert(lines, '(no workers yet: :BosunSpawn {task})')
  end
  return lines
end

local function is_open()
  return window.win ~= nil and vim.api.nvim_win_is_valid(window.win)
end

local function any_running()
  for _, worker in pairs(client.state.workers) do
    if worker.state == 'running' then
      return true
    end
  end
  return false
end

local function render()
  if not is_open() then
    return
  end
  local lines = M.lines(client.state, time.now())
  vim.bo[window.buf].modifiable = true
  vim.api.nvim_buf_set_lines(window.buf, 0, -1, false, lines)
  vim.bo[window.buf].modifiable = false
  local width = 40
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line))
  end
  vim.api.nvim_win_set_config(window.win, {
    relative = 'editor',
    width = math.min(width, vim.o.columns - 4),
    height = math.min(#lines, math.max(vim.o.lines - 6, 3)),
    row = 1,
    col = 2,
  })
end

-- The worker id on the cursor's line of the window, if any.
function M.worker_under_cursor()
  local line = vim.api.nvim_get_current_line()
  return line:match('^(w_%S+)')
end

function M.close()
  if window.timer then
    window.timer:stop()
    window.timer:close()
    window.timer = nil
  end
  if is_open() then
    vim.api.nvim_win_close(window.win, true)
  end
  window.win = nil
  client.listeners.status_window = nil
end

function M.open()
  if is_open() then
    vim.api.nvim_set_current_win(window.win)
    return render()
  end
  window.buf = vim.api.nvim_create_buf(false, true)
  vim.bo[window.buf].bufhidden = 'wipe'
  vim.bo[window.buf].filetype = 'bosunstatus'
  window.win = vim.api.nvim_open_win(window.buf, true, {
    relative = 'editor', width = 40, height = 3, row = 1, col = 2, style = 'minimal', border = 'rounded',
  })
  local function map(key, action)
    vim.api.nvim_buf_set_keymap(window.buf, 'n', key, '', { noremap = true, nowait = true, callback = action })
  end
  map('q', M.close)
  map('<Esc>', M.close)
  map('<CR>', function()
    local id = M.worker_under_cursor()
    if id then
      M.close()
      require('bosun').trace(id)
    end
  end)
  map('c', function()
    local id = M.worker_under_cursor()
    if id then
      require('bosun').cancel(id)
    end
  end)
  vim.api.nvim_create_autocmd('BufWipeout', { buffer = window.buf, once = true, callback = M.close })
  client.listeners.status_window = render
  -- The elapsed column of running workers moves on even when no event comes.
  window.timer = (vim.uv or vim.loop).new_timer()
  window.timer:start(1000, 1000, vim.schedule_wrap(function()
    if any_running() then
      render()
    end
  end))
  render()
  client.refresh()
end

return M
